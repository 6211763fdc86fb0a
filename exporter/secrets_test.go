package exporter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cimjob/cimjob/simulator"
)

// No password, from a file or an environment variable, shows in a probe's
// answer (success or refusal), the exporter's own metrics or its logs at
// debug level.
func TestSecretsNeverShow(t *testing.T) {
	f := startFleet(t, simulator.FleetOptions{Hosts: 1, Jobs: 10, Seed: 5})
	target := hostPort(t, f.Hosts()[0])
	dir := t.TempDir()
	// The right password from a file (with the newline an editor adds),
	// a wrong one from the environment.
	if err := os.WriteFile(filepath.Join(dir, "pw"), []byte(simPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const wrong = "wrong-Secret-7d1c"
	y := "modules:\n" +
		"  good:\n    username: demo\n    password_file: pw\n" +
		"  bad:\n    username: demo\n    password_env: CIMJOB_BAD\n"
	cfg, err := ParseConfig([]byte(y), dir, env(map[string]string{"CIMJOB_BAD": wrong}))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	e := New(cfg, Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	defer e.Close()

	var seen strings.Builder
	for _, q := range []string{"module=good&target=" + target, "module=bad&target=" + target, "module=good&target=demo:" + simPassword + "@" + target} {
		r := scrape(t, e, q, "")
		seen.WriteString(r.body)
	}
	if !strings.Contains(seen.String(), "cimjob_probe_success 1") || !strings.Contains(seen.String(), `cimjob_probe_failure_info{reason="auth"} 1`) {
		t.Fatalf("the probes did not come out as planned:\n%s", seen.String())
	}
	seen.WriteString(gatherOwn(t, e))
	seen.WriteString(logs.String())
	if !strings.Contains(logs.String(), "reason=auth") {
		t.Errorf("no debug line for the failed probe:\n%s", logs.String())
	}
	for _, secret := range []string{simPassword, wrong} {
		if strings.Contains(seen.String(), secret) {
			t.Errorf("%q shows:\n%s", secret, seen.String())
		}
	}
}

// Printing a Config or Module, as a log line or an error might, shows no
// secret: the resolved credentials sit behind an unexported pointer.
func TestConfigPrintsNoSecret(t *testing.T) {
	const secret = "printed-Secret-91b2"
	cfg, err := ParseConfig([]byte("modules:\n  hv:\n    username: u\n    password_env: PW\n"), "", env(map[string]string{"PW": secret}))
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.Modules["hv"]
	js, _ := json.Marshal(cfg)
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "cfg", cfg, "module", m, "value", *m)
	for _, s := range []string{fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg), fmt.Sprintf("%v %+v %#v", m, m, m), fmt.Sprintf("%v %+v %#v", *m, *m, *m), string(js), logs.String()} {
		if strings.Contains(s, secret) {
			t.Errorf("shows the password: %s", s)
		}
	}
}
