package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cimjob/cimjob/simulator"
)

func TestHelpExitsZero(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "-help"} {
		var stdout, stderr bytes.Buffer
		err := run([]string{arg}, &stdout, &stderr)
		if code := exitCode(err, &stderr); code != 0 {
			t.Errorf("%s: exit %d", arg, code)
		}
		if !strings.Contains(stderr.String(), "-scenario") || !strings.Contains(stderr.String(), "cimjob-sim version") {
			t.Errorf("%s: usage lacks the flags or commands:\n%s", arg, stderr.String())
		}
		if strings.Contains(stderr.String(), "cimjob-sim: flag: help requested") {
			t.Errorf("%s: help reported as an error:\n%s", arg, stderr.String())
		}
	}
	var stderr bytes.Buffer
	if code := exitCode(run([]string{"--no-such-flag"}, &bytes.Buffer{}, &stderr), &stderr); code != 1 {
		t.Errorf("a bad flag exits %d, want 1", code)
	}
}

func TestVersion(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run([]string{"version"}, &stdout, &stderr); err != nil {
		t.Fatal(err, stderr.String())
	}
	for _, want := range []string{"cimjob-sim ", "commit: ", "date: ", "go: "} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("version lacks %q:\n%s", want, stdout.String())
		}
	}
}

func TestCompletion(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "--scenario", ""}, []string{"default.json", "hardened.json", "windows-default.json"}},
		{[]string{"__complete", "--fixtures", "../../fixtures", "--scenario", ""}, []string{"default.json", "legacy.json"}},
		{[]string{"__complete", "--"}, []string{"--listen", "--scenario", "--tls", "--keytab"}},
		{[]string{"__complete", ""}, []string{"version", "completion"}},
		{[]string{"completion", "bash"}, []string{"cimjob-sim", "__complete"}},
		{[]string{"completion", "fish"}, []string{"cimjob-sim", "__complete"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if err := run(tt.args, &stdout, &stderr); err != nil {
				t.Fatal(err, stderr.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("lacks %q:\n%s", w, stdout.String())
				}
			}
		})
	}
}

func TestManPage(t *testing.T) {
	dir := t.TempDir()
	if err := run([]string{"man", "--dir", dir}, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "cimjob-sim.1"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `\fB--scenario\fP`) {
		t.Errorf("page lacks --scenario:\n%s", b)
	}
}

// A --fixtures tree is the user's own: its passwords stay in its file.
func TestBannerKeepsOwnFixturesPasswords(t *testing.T) {
	opt := simulator.Options{Scenario: "default.json", FS: os.DirFS("../../fixtures")}
	s, err := simulator.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out bytes.Buffer
	printBanner(&out, s, opt, "http://127.0.0.1:5985/wsman", "../../fixtures", listener{})
	if strings.Contains(out.String(), "demo-password") || !strings.Contains(out.String(), "its password is in ../../fixtures/scenarios/default.json") {
		t.Errorf("banner:\n%s", out.String())
	}
}
