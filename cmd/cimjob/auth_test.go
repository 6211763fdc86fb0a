package main

import (
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cimjob/cimjob/internal/krb/krbtest"
	"github.com/cimjob/cimjob/internal/testca"
	"github.com/cimjob/cimjob/simulator"
)

const failedStart = "5F1E2D3C-4B5A-4000-8000-000000000001"

// TestNTLMAgainstAnUntouchedHost: a host as Windows installs it (HTTP,
// Negotiate only, unencrypted messages refused) answers cimjob's defaults,
// with no flag about encryption, and decodes as the Basic host does.
func TestNTLMAgainstAnUntouchedHost(t *testing.T) {
	_, defHost := startSim(t, "default.json")
	base := runCLI(t, demoEnv(), "error", "--host", defHost, "--auth", "basic", "--allow-unencrypted", "--skip-job", "--job", failedStart, "-o", "json")
	if base.code != exitJobFailed {
		t.Fatalf("baseline: exit %d: %s", base.code, base.stderr)
	}

	sim, host := startSim(t, "windows-default.json")
	r := runCLI(t, demoEnv(), "error", "--host", host, "--skip-job", "--job", failedStart, "-o", "json")
	if r.code != exitJobFailed {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if got, want := errorsPart(t, r.stdout), errorsPart(t, base.stdout); got != want {
		t.Errorf("sealed NTLM decodes differently:\n%s\nwant\n%s", got, want)
	}
	st := sim.Stats()
	if st.Unencrypted != 0 || st.Sealed == 0 {
		t.Errorf("%d unencrypted and %d sealed messages; every message must be sealed", st.Unencrypted, st.Sealed)
	}

	// The same host refuses Basic, and says so as an authentication failure.
	r = runCLI(t, demoEnv(), "error", "--host", host, "--auth", "basic", "--allow-unencrypted", "--job", failedStart)
	if r.code != exitNoAnswer || !strings.Contains(r.stderr, "authentication failed") {
		t.Errorf("basic against a Negotiate-only host: exit %d, %q", r.code, r.stderr)
	}
}

// TestWrongPasswordNoRetryStorm: a wrong password ends at once, in exit 3,
// after a handful of requests rather than a storm of them.
func TestWrongPasswordNoRetryStorm(t *testing.T) {
	sim, host := startSim(t, "windows-default.json")
	r := runCLI(t, map[string]string{envUser: "demo", envPassword: "wrong"}, "error", "--host", host, "--job", failedStart)
	if r.code != exitNoAnswer || !strings.Contains(r.stderr, "authentication failed") {
		t.Fatalf("exit %d, %q", r.code, r.stderr)
	}
	if n := sim.Stats().Requests; n > 3 {
		t.Errorf("%d requests for one wrong password", n)
	}
}

// TestHTTPSModes runs every HTTPS mode of the hardened host: Basic, NTLM
// with channel binding (the host requires it), and a mapped client
// certificate, each verifying the host's certificate against --ca-file.
func TestHTTPSModes(t *testing.T) {
	dir := t.TempDir()
	clientCA := testca.New(t, "cimjob test client CA")
	sim, host := startTLSSim(t, simulator.Options{Scenario: "hardened.json", ClientCAs: []*x509.Certificate{clientCA.Cert}})
	caFile := writeFile(t, dir, "host-ca.pem", sim.CertPEM())
	certFile, keyFile := clientCA.IssueFiles(t, dir, "ops@corp.example")

	tests := []struct {
		name string
		env  map[string]string
		args []string
		want int
	}{
		{"basic", demoEnv(), []string{"--auth", "basic"}, exitJobFailed},
		{"ntlm with channel binding", demoEnv(), nil, exitJobFailed},
		{"client certificate", nil, []string{"--cert-file", certFile, "--key-file", keyFile}, exitJobFailed},
		{"unmapped certificate", nil, func() []string {
			c, k := clientCA.IssueFiles(t, dir, "eve@corp.example")
			return []string{"--auth", "certificate", "--cert-file", c, "--key-file", k}
		}(), exitNoAnswer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"error", "--host", host, "--https", "--ca-file", caFile, "--skip-job", "--job", failedStart}, tt.args...)
			r := runCLI(t, tt.env, args...)
			if r.code != tt.want {
				t.Fatalf("exit %d, want %d: %s", r.code, tt.want, r.stderr)
			}
		})
	}

	// Without the host's CA, TLS verification fails: no answer, no retry.
	r := runCLI(t, demoEnv(), "error", "--host", host, "--https", "--auth", "basic", "--job", failedStart)
	if r.code != exitNoAnswer || !strings.Contains(r.stderr, "certificate") {
		t.Errorf("unverified host: exit %d, %q", r.code, r.stderr)
	}
	// Skipping verification works, with a warning.
	r = runCLI(t, demoEnv(), "error", "--host", host, "--https", "--auth", "basic", "--insecure-skip-verify", "--skip-job", "--job", failedStart)
	if r.code != exitJobFailed || !strings.Contains(r.stderr, "warning") {
		t.Errorf("--insecure-skip-verify: exit %d, %q", r.code, r.stderr)
	}
}

// TestKerberos logs in to a real MIT KDC on loopback with a password, a
// keytab and a credential cache made by kinit, then asks a simulated host
// that holds HTTP/127.0.0.1 in its keytab, sealed over HTTP and bound to
// the certificate over HTTPS.
func TestKerberos(t *testing.T) {
	krbtest.Need(t, "kinit") // the credential-cache case
	kdc := krbtest.Start(t)
	ctx := context.Background()
	dir := t.TempDir()
	svcKeytab := filepath.Join(dir, "http.keytab")
	userKeytab := filepath.Join(dir, "alice.keytab")
	ccache := filepath.Join(dir, "ccache")
	for _, err := range []error{
		kdc.AddUser(ctx, "alice", "Alice-Pw1"),
		kdc.AddService(ctx, "HTTP/127.0.0.1"),
		kdc.Keytab(ctx, svcKeytab, "HTTP/127.0.0.1"),
		kdc.Keytab(ctx, userKeytab, "alice"),
		kdc.Kinit(ctx, "alice", "Alice-Pw1", ccache),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	factory, err := simulator.KerberosAcceptors(svcKeytab, true)
	if err != nil {
		t.Fatal(err)
	}
	sim, err := simulator.New(simulator.Options{Scenario: "windows-default.json", NewAcceptor: factory})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	endpoint, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := hostOf(endpoint)
	krb := []string{"error", "--host", host, "--auth", "kerberos", "--krb5-conf", kdc.Krb5Conf, "--skip-job", "--job", failedStart}

	t.Run("password", func(t *testing.T) {
		r := runCLI(t, map[string]string{envUser: "alice", envPassword: "Alice-Pw1"}, krb...)
		if r.code != exitJobFailed {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
	})
	t.Run("keytab", func(t *testing.T) {
		r := runCLI(t, map[string]string{envUser: "alice"}, append(krb, "--keytab", userKeytab)...)
		if r.code != exitJobFailed {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
	})
	t.Run("credential cache from kinit", func(t *testing.T) {
		t.Setenv("KRB5CCNAME", "FILE:"+ccache)
		r := runCLI(t, nil, krb...)
		if r.code != exitJobFailed {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		r := runCLI(t, map[string]string{envUser: "alice", envPassword: "wrong"}, krb...)
		if r.code != exitNoAnswer || !strings.Contains(r.stderr, "authentication failed") {
			t.Fatalf("exit %d: %q", r.code, r.stderr)
		}
	})
	if st := sim.Stats(); st.Unencrypted != 0 || st.Sealed < 3 {
		t.Errorf("%d unencrypted, %d sealed messages", st.Unencrypted, st.Sealed)
	}

	// Over HTTPS the context is bound to the host's certificate.
	tlsSim, err := simulator.New(simulator.Options{Scenario: "hardened.json", NewAcceptor: factory})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tlsSim.Close() })
	tlsEndpoint, err := tlsSim.StartTLS("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	caFile := writeFile(t, dir, "host-ca.pem", tlsSim.CertPEM())
	t.Run("https with channel binding", func(t *testing.T) {
		r := runCLI(t, map[string]string{envUser: "alice", envPassword: "Alice-Pw1"},
			"error", "--host", hostOf(tlsEndpoint), "--https", "--ca-file", caFile, "--auth", "kerberos", "--krb5-conf", kdc.Krb5Conf, "--skip-job", "--job", failedStart)
		if r.code != exitJobFailed {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if st := tlsSim.Stats(); st.Handshakes != 1 {
			t.Errorf("%d handshakes, want 1", st.Handshakes)
		}
	})
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
