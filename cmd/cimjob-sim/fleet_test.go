package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cimjob/cimjob/simulator"
)

// --hosts serves a fleet, writes one URL a line to --hosts-file-out, and
// every host answers.
func TestServeFleet(t *testing.T) {
	hostsFile := filepath.Join(t.TempDir(), "hosts.txt")
	out := &syncBuffer{}
	errc := make(chan error, 1)
	ready := make(chan string, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ff := &fleetFlags{hosts: 3, jobs: 12, hostsFileOut: hostsFile, latency: 1}
	go func() { errc <- serveFleet(ctx, ff, "", "fleet.json", simulator.Options{}, false, out, ready) }()
	select {
	case path := <-ready:
		if path != hostsFile {
			t.Errorf("hosts file %s", path)
		}
	case err := <-errc:
		t.Fatal(err)
	}
	data, err := os.ReadFile(hostsFile)
	if err != nil {
		t.Fatal(err)
	}
	urls := strings.Fields(string(data))
	if len(urls) != 3 {
		t.Fatalf("hosts file: %q", data)
	}
	answered := 0
	for _, u := range urls {
		req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>`))
		req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
		req.Header.Set("WSMANIDENTIFY", "unauthenticated")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 200 {
			answered++
		}
	}
	if answered != 3 {
		t.Errorf("%d of 3 hosts answered Identify", answered)
	}
	for _, want := range []string{"simulating 3 hosts", "12 jobs each", hostsFile, "normal 3"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, out.String())
		}
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestServeFleetRefusesTLS(t *testing.T) {
	err := run([]string{"--hosts", "2", "--tls"}, &syncBuffer{}, &syncBuffer{})
	if err == nil || !strings.Contains(err.Error(), "--tls") {
		t.Errorf("err %v", err)
	}
}

// TestHostsFileCannotBePlanted: --hosts used to write its URLs to a fixed
// name in the shared temporary directory with os.WriteFile, following a
// link another local user planted there (overwriting a file of ours) or
// writing into their file (whose URLs they could then change). Like the CA
// file, it now goes by default into a new private directory removed at
// exit; a --hosts-file-out that exists, as a file or as a link, is refused
// and left alone.
func TestHostsFileCannotBePlanted(t *testing.T) {
	tmp, link, planted, unchanged := plant(t, "cimjob-sim-hosts.txt", "planted-hosts.txt", "http://attacker/wsman\n")
	for _, tc := range []struct {
		name, out string // out: --hosts-file-out
		refused   bool
	}{
		{name: "default", out: ""},
		{name: "new file", out: filepath.Join(t.TempDir(), "hosts.txt")},
		{name: "existing link", out: link, refused: true},
		{name: "existing file", out: planted, refused: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			errc := make(chan error, 1)
			ready := make(chan string, 1)
			ff := &fleetFlags{hosts: 1, jobs: 1, latency: 1, hostsFileOut: tc.out}
			go func() {
				errc <- serveFleet(ctx, ff, "", "fleet.json", simulator.Options{}, false, &syncBuffer{}, ready)
			}()
			var path string
			select {
			case path = <-ready:
			case err := <-errc:
				if !tc.refused || err == nil || !strings.Contains(err.Error(), tc.out) {
					t.Errorf("serveFleet = %v, want a refusal naming %s: %v", err, tc.out, tc.refused)
				}
				unchanged(t)
				return
			}
			if tc.refused {
				t.Errorf("with --hosts-file-out %s it wrote %s, want a refusal", tc.out, path)
			}
			if tc.out != "" && path != tc.out {
				t.Errorf("wrote %s, want %s", path, tc.out)
			}
			if tc.out == "" {
				if filepath.Dir(path) == tmp {
					t.Errorf("the hosts file went to %s, in the shared directory", path)
				}
				if dir, err := os.Lstat(filepath.Dir(path)); err != nil || dir.Mode().Perm() != 0o700 {
					t.Errorf("the hosts file's directory: %v, %v; want one only its owner can enter", dir, err)
				}
			}
			if b, err := os.ReadFile(path); err != nil || !strings.HasPrefix(string(b), "http://") {
				t.Errorf("the hosts file holds %q (%v)", b, err)
			}
			unchanged(t)
			cancel()
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			if _, err := os.Lstat(path); !os.IsNotExist(err) {
				t.Errorf("the hosts file outlives the simulator: %v", err)
			}
		})
	}
}
