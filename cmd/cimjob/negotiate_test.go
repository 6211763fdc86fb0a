package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestNegotiate: --auth negotiate is Kerberos when there are Kerberos
// credentials (a keytab, or a credential cache as kinit leaves), else NTLM,
// as PowerShell's Negotiate prefers Kerberos.
func TestNegotiate(t *testing.T) {
	_, host := startSim(t, "default.json")
	dir := t.TempDir()
	cache := writeFile(t, dir, "ccache", []byte("not a cache"))
	conf := writeFile(t, dir, "krb5.conf", []byte("[libdefaults]\n default_realm = CORP.EXAMPLE\n"))
	tests := []struct {
		name     string
		ccache   string
		args     []string
		env      map[string]string
		wantCode int
		wantText string // in stderr
	}{
		{"no kerberos credentials: ntlm", filepath.Join(dir, "none"), nil, demoEnv(), exitJobFailed, ""},
		{"keytab: kerberos", filepath.Join(dir, "none"), []string{"--keytab", filepath.Join(dir, "no.keytab")}, demoEnv(), exitNoAnswer, "Kerberos handshake"},
		{"credential cache: kerberos", cache, nil, nil, exitNoAnswer, "credential cache"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("KRB5CCNAME", "FILE:"+tt.ccache)
			args := append([]string{"error", "--host", host, "--auth", "negotiate", "--krb5-conf", conf, "--skip-job", "--job", failedStart}, tt.args...)
			r := runCLI(t, tt.env, args...)
			if r.code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr %q", r.code, tt.wantCode, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.wantText) {
				t.Errorf("stderr %q does not say %q", r.stderr, tt.wantText)
			}
		})
	}
}
