package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cimjob/cimjob/simulator"
)

// TestFailureLines runs the failures a new user meets first, end to end,
// and checks that each is one line that says what failed and what to do,
// without a prefix said twice.
func TestFailureLines(t *testing.T) {
	_, plain := startSim(t, "default.json")
	_, hostile := startSim(t, "hostile.json")
	tlsSim, secure := startTLSSim(t, simulator.Options{Scenario: "default.json"})
	dir := t.TempDir()
	caFile := writeFile(t, dir, "ca.pem", tlsSim.CertPEM())
	// A realm whose only KDC refuses at once, over UDP and TCP.
	krb5Conf := writeFile(t, dir, "krb5.conf", []byte("[libdefaults]\n default_realm = CORP.EXAMPLE\n dns_lookup_kdc = false\n[realms]\n CORP.EXAMPLE = {\n  kdc = 127.0.0.1:1\n }\n"))
	noCache := "FILE:" + filepath.Join(dir, "no-such-ccache")

	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		want     []string // all in the line
		wantNot  []string // none in the line
		wantCode int
	}{
		{"self-signed certificate", demoEnv(),
			[]string{"--host", secure, "--https"},
			[]string{"certificate signed by unknown authority", "--ca-file"}, []string{"--insecure-skip-verify"}, exitNoAnswer},
		{"certificate for another name", demoEnv(),
			[]string{"--host", secure, "--https", "--ca-file", caFile, "--tls-server-name", "other.example"},
			[]string{"other.example", "--tls-server-name"}, []string{"--insecure-skip-verify"}, exitNoAnswer},
		{"https to an http listener", demoEnv(),
			[]string{"--host", plain, "--https"},
			[]string{"drop --https", "5986"}, nil, exitNoAnswer},
		{"http to an https listener, ntlm", demoEnv(),
			[]string{"--host", secure},
			[]string{"add --https"}, nil, exitNoAnswer},
		{"http to an https listener, basic", demoEnv(),
			[]string{"--host", secure, "--auth", "basic", "--allow-unencrypted"},
			[]string{"add --https"}, nil, exitNoAnswer},
		{"nothing listening", demoEnv(),
			[]string{"--host", "127.0.0.1:1"},
			[]string{"connection refused", "5985"}, nil, exitNoAnswer},
		{"kerberos without a ticket", map[string]string{"KRB5CCNAME": noCache},
			[]string{"--host", plain, "--auth", "kerberos", "--krb5-conf", krb5Conf},
			[]string{"no Kerberos ticket", "run kinit, or give --keytab"}, nil, exitNoAnswer},
		{"kerberos with no KDC to reach", map[string]string{envUser: "alice", envPassword: "pw"},
			[]string{"--host", plain, "--auth", "kerberos", "--krb5-conf", krb5Conf},
			[]string{"no KDC of realm CORP.EXAMPLE could be reached", "krb5.conf"}, []string{"Root cause"}, exitNoAnswer},
		{"malformed reply", demoEnv(),
			[]string{"--host", hostile, "--job", "BAD0BAD0-0000-4000-8000-000000000006"},
			[]string{"malformed XML: XML syntax error"}, nil, exitNoAnswer},
		{"reply never comes", demoEnv(),
			[]string{"--host", hostile, "--timeout", "1s", "--job", "BAD0BAD0-0000-4000-8000-000000000001"},
			[]string{"timed out waiting for the reply", "--timeout"}, []string{"(send)"}, exitNoAnswer},
		{"reply never comes, basic", demoEnv(),
			[]string{"--host", hostile, "--auth", "basic", "--timeout", "1s", "--job", "BAD0BAD0-0000-4000-8000-000000000001"},
			[]string{"timed out waiting for the reply", "--timeout"}, []string{"(send)"}, exitNoAnswer},
		{"reply too large", demoEnv(),
			[]string{"--host", hostile, "--job", "BAD0BAD0-0000-4000-8000-000000000003"},
			[]string{"8 MiB", "--max-response-bytes"}, []string{"8392704"}, exitNoAnswer},
		{"reply too large for a set cap", demoEnv(),
			[]string{"--host", hostile, "--max-response-bytes", "65536", "--job", "BAD0BAD0-0000-4000-8000-000000000003"},
			[]string{"64 KiB", "--max-response-bytes"}, nil, exitNoAnswer},
		{"job of another profile", demoEnv(),
			[]string{"--host", plain, "--job", "9D8C7B6A-5E4F-4000-8000-000000000002"},
			[]string{"Msps_ProvisioningJob", "use --profile msps"}, []string{"TimeBeforeRemoval"}, exitNoAnswer},
		{"job of another profile, skipping the job", demoEnv(),
			[]string{"--host", plain, "--skip-job", "--profile", "msps", "--job", failedStart},
			[]string{"Msvm_ConcreteJob", "use --profile hyperv"}, nil, exitNoAnswer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				if strings.HasPrefix(k, "KRB5") {
					t.Setenv(k, v)
				}
			}
			args := append([]string{"error", "--retries", "0", "--allow-unencrypted"}, tt.args...)
			if !hasFlag(args, "--job") {
				args = append(args, "--job", failedStart)
			}
			r := runCLI(t, tt.env, args...)
			if r.code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr %q", r.code, tt.wantCode, r.stderr)
			}
			line := checkOneLine(t, r.stderr)
			t.Log(line)
			for _, w := range tt.want {
				if !strings.Contains(line, w) {
					t.Errorf("%q\ndoes not say %q", line, w)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(line, w) {
					t.Errorf("%q\nsays %q", line, w)
				}
			}
		})
	}
}

// TestFailureHintInJSON: -o json carries the same hint as stderr's line.
func TestFailureHintInJSON(t *testing.T) {
	_, secure := startTLSSim(t, simulator.Options{Scenario: "default.json"})
	r := runCLI(t, demoEnv(), "error", "--host", secure, "--https", "--retries", "0", "--job", failedStart, "-o", "json")
	var rep report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.Failure == nil {
		t.Fatalf("exit %d, %v: %s", r.code, err, r.stdout)
	}
	if h := rep.Failure.Hint; !strings.Contains(h, "--ca-file") || !strings.HasSuffix(strings.TrimSpace(r.stderr), "; "+h) {
		t.Errorf("hint %q; stderr %q", h, r.stderr)
	}
}

// checkOneLine returns stderr's one line, after checking it is one, that
// it is short enough to read, and that no part of it is said twice
// ("dial: dial tcp", "tls: tls:", "malformed XML: ... malformed XML").
func checkOneLine(t *testing.T, stderr string) string {
	t.Helper()
	line := strings.TrimSuffix(stderr, "\n")
	if line == "" || strings.Contains(line, "\n") || !strings.HasPrefix(line, "cimjob: ") {
		t.Fatalf("want one line on stderr, got %q", stderr)
	}
	if len(line) > 400 {
		t.Errorf("%d characters is not a line to read: %q", len(line), line)
	}
	parts := strings.Split(strings.TrimPrefix(line, "cimjob: "), ": ")
	seen := map[string]bool{}
	for i, p := range parts {
		if seen[p] && len(p) > 3 {
			t.Errorf("%q says %q twice", line, p)
		}
		seen[p] = true
		if i+1 < len(parts) && strings.HasPrefix(parts[i+1], p+" ") && !strings.Contains(p, " ") {
			t.Errorf("%q repeats %q", line, p)
		}
	}
	return line
}
