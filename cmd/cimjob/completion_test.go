package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/promslog"

	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/simulator"
)

// TestFlagValueCompletion asks the shell-completion entry point (what the
// bash, zsh, fish and PowerShell scripts call) for each fixed-value flag.
func TestFlagValueCompletion(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"error", "--auth", ""}, []string{"ntlm", "kerberos", "basic", "certificate"}},
		{[]string{"error", "--profile", ""}, []string{"hyperv", "msps", "cim"}},
		{[]string{"error", "--method", ""}, []string{"auto", "GetError", "GetErrorEx"}},
		{[]string{"error", "-o", ""}, []string{"text", "json"}},
		{[]string{"error", "--output", ""}, []string{"text", "json"}},
		{[]string{"demo", "-o", ""}, []string{"text", "json"}},
		{[]string{"demo", "--scenario", ""}, []string{"default.json", "hardened.json", "legacy.json"}},
		{[]string{"exporter", "--log.level", ""}, []string{"debug", "info", "warn", "error"}},
		{[]string{"exporter", "--log.format", ""}, []string{"logfmt", "json"}},
		{[]string{""}, []string{"error", "demo", "exporter", "version", "completion"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runCLI(t, nil, append([]string{"__complete"}, tt.args...)...)
			if r.code != exitOK {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			got := map[string]bool{}
			for _, line := range strings.Split(r.stdout, "\n") {
				got[strings.SplitN(line, "\t", 2)[0]] = true
			}
			for _, w := range tt.want {
				if !got[w] {
					t.Errorf("completion lacks %q:\n%s", w, r.stdout)
				}
			}
			if got["man"] {
				t.Errorf("the packagers' man command is offered:\n%s", r.stdout)
			}
		})
	}
}

// TestCompletedValuesAreAccepted: every value completion offers is one the
// flag's parser takes.
func TestCompletedValuesAreAccepted(t *testing.T) {
	v := flagValues()
	for _, mode := range v["auth"]() {
		if _, err := (&connFlags{auth: mode}).authMode(); err != nil {
			t.Errorf("--auth %s: %v", mode, err)
		}
	}
	for _, p := range v["profile"]() {
		if _, err := job.LookupProfile(p, "root/cimv2", "CIM_ConcreteJob"); err != nil {
			t.Errorf("--profile %s: %v", p, err)
		}
	}
	for _, m := range v["method"]() {
		if _, err := job.ParseMethod(m); err != nil {
			t.Errorf("--method %s: %v", m, err)
		}
	}
	for _, o := range v["output"]() {
		r := runCLI(t, nil, "error", "-o", o)
		if strings.Contains(r.stderr, "output format") {
			t.Errorf("-o %s refused: %s", o, r.stderr)
		}
	}
	for _, l := range v["log.level"]() {
		if err := promslog.NewLevel().Set(l); err != nil {
			t.Errorf("--log.level %s: %v", l, err)
		}
	}
	for _, f := range v["log.format"]() {
		if err := promslog.NewFormat().Set(f); err != nil {
			t.Errorf("--log.format %s: %v", f, err)
		}
	}
	for _, s := range v["scenario"]() {
		if _, err := simulator.New(simulator.Options{Scenario: s}); err != nil {
			t.Errorf("--scenario %s: %v", s, err)
		}
	}
}

func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		r := runCLI(t, nil, "completion", shell)
		if r.code != exitOK || !strings.Contains(r.stdout, "cimjob") || !strings.Contains(r.stdout, "__complete") {
			t.Errorf("completion %s: exit %d, %d bytes: %s", shell, r.code, len(r.stdout), r.stderr)
		}
	}
}

func TestManPages(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "man")
	// SOURCE_DATE_EPOCH makes the pages' date that of the release's commit.
	r := runCLI(t, map[string]string{"SOURCE_DATE_EPOCH": "1767225600"}, "man", "--dir", dir)
	if r.code != exitOK {
		t.Fatalf("man: exit %d: %s", r.code, r.stderr)
	}
	for page, want := range map[string]string{
		"cimjob.1":          `.TH "cimjob" "1" "Jan 2026"`,
		"cimjob-error.1":    `\fB--job\fP`,
		"cimjob-demo.1":     `\fB--scenario\fP`,
		"cimjob-exporter.1": `\fB--config.file\fP`,
	} {
		b, err := os.ReadFile(filepath.Join(dir, page))
		if err != nil {
			t.Error(err)
			continue
		}
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %q", page, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "cimjob-man.1")); err == nil {
		t.Error("the hidden man command got a page")
	}
}
