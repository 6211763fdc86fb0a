package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cimjob/cimjob/simulator"
)

// TestFleetDeadlineNamesEveryHost: when --deadline (or Ctrl-C) cuts a run
// short, the machine-readable outputs still name every host asked, the
// unfinished ones unreachable: a hanging host is the one a monitoring
// system most needs to see (in -o json's hosts, a JUnit suite, and
// cimjob_host_up 0). Found in review.
func TestFleetDeadlineNamesEveryHost(t *testing.T) {
	_, file := startFleet(t, simulator.FleetOptions{Hosts: 2, Jobs: 2, Hang: 0.5})

	r := runCLI(t, demoEnv(), "check", "--hosts-file", file, "--deadline", "2s", "-o", "json")
	var doc struct {
		Hosts []struct {
			Host, Status string
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("json: %v\n%s", err, r.stdout)
	}
	if len(doc.Hosts) != 2 {
		t.Errorf("-o json lists %d of 2 hosts after --deadline: %+v", len(doc.Hosts), doc.Hosts)
	}

	r = runCLI(t, demoEnv(), "check", "--hosts-file", file, "--deadline", "2s", "-o", "junit")
	var suites struct {
		Suites []struct {
			Name string `xml:"name,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(r.stdout), &suites); err != nil {
		t.Fatalf("junit: %v\n%s", err, r.stdout)
	}
	if len(suites.Suites) != 2 {
		t.Errorf("-o junit has %d of 2 host suites after --deadline", len(suites.Suites))
	}

	r = runCLI(t, demoEnv(), "identify", "--hosts-file", file, "--deadline", "2s", "-o", "prometheus")
	if n := strings.Count(r.stdout, "\ncimjob_host_up{"); n != 2 {
		t.Errorf("-o prometheus has %d of 2 cimjob_host_up series after --deadline:\n%s", n, r.stdout)
	}
}

// TestHostsFileReadIsBounded: a --hosts-file that never ends (/dev/zero,
// a FIFO) is refused at the size bound rather than read whole, and a file
// of one line repeated is asked once without a configuration per line.
// Found in review: /dev/zero reached 6 GB of memory in 5 s.
func TestHostsFileReadIsBounded(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero on this system")
	}
	r := runCLI(t, demoEnv(), "identify", "--hosts-file", "/dev/zero")
	if r.code != exitUsage || !strings.Contains(r.stderr, "larger than") {
		t.Errorf("/dev/zero: exit %d, %q; want exit %d saying it is too large", r.code, r.stderr, exitUsage)
	}
	f, _ := startFleet(t, simulator.FleetOptions{Hosts: 1, Jobs: 2})
	p := filepath.Join(t.TempDir(), "repeated.txt")
	if err := os.WriteFile(p, []byte(strings.Repeat(f.Hosts()[0].URL+"\n", 200000)), 0o600); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, demoEnv(), "identify", "--hosts-file", p, "-o", "ndjson")
	if r.code != exitOK || strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("one host listed 200000 times: exit %d, %d lines; want exit 0 and the host once\n%s", r.code, strings.Count(r.stdout, "\n"), r.stderr)
	}
}
