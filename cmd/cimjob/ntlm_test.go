package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cimjob/cimjob/simulator"
)

// startPre2008Sim starts the untouched Windows host of windows-default.json
// as a host older than Windows Server 2008 would be: its NTLM challenge
// carries no timestamp.
func startPre2008Sim(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "responses"), os.DirFS("../../fixtures/responses")); err != nil {
		t.Fatal(err)
	}
	base, err := os.ReadFile("../../fixtures/scenarios/windows-default.json")
	if err != nil {
		t.Fatal(err)
	}
	sc := strings.Replace(string(base), "{", `{"ntlmNoTimestamp": true,`, 1)
	if err := os.MkdirAll(filepath.Join(dir, "scenarios"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "scenarios", "pre2008.json"), []byte(sc), 0o644); err != nil {
		t.Fatal(err)
	}
	_, host := startSimWith(t, simulator.Options{FS: os.DirFS(dir), Scenario: "pre2008.json"})
	return host
}

// TestNTLMWithoutTimestamp: an NTLM challenge without timestamp, which
// leaves the handshake open to a relay, is refused with an error that names
// the way out; --ntlm-allow-no-timestamp accepts it.
func TestNTLMWithoutTimestamp(t *testing.T) {
	host := startPre2008Sim(t)
	r := runCLI(t, demoEnv(), "error", "--host", host, "--skip-job", "--job", failedStart)
	if r.code != exitNoAnswer || !strings.Contains(r.stderr, "--ntlm-allow-no-timestamp") {
		t.Errorf("without the flag: exit %d, %q", r.code, r.stderr)
	}
	r = runCLI(t, demoEnv(), "error", "--host", host, "--skip-job", "--job", failedStart, "--ntlm-allow-no-timestamp")
	if r.code != exitJobFailed {
		t.Errorf("with --ntlm-allow-no-timestamp: exit %d, %q", r.code, r.stderr)
	}
}
