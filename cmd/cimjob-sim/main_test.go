package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cimjob/cimjob/simulator"
)

// syncBuffer lets the test read what serve has printed while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServe runs serve in the background until stop, which checks that
// it ended cleanly.
func startServe(t *testing.T, scenario string, l listener) (url string, out *syncBuffer, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out = &syncBuffer{}
	done := make(chan error, 1)
	ready := make(chan string, 1)
	go func() {
		done <- serve(ctx, simulator.Options{Scenario: scenario}, l, "", out, ready)
	}()
	select {
	case url = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("serve returned early: %v\n%s", err, out.String())
	}
	return url, out, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}
}

func TestServePrintsAndStops(t *testing.T) {
	url, out, stop := startServe(t, "default.json", listener{addr: "127.0.0.1:0"})
	text := out.String()
	for _, want := range []string{"HV01.corp.example", "User:  demo  password: demo-password (the built-in scenario's demo credential)",
		"ntlm         accepted, messages sealed or plain", "basic        accepted over plain HTTP (AllowUnencrypted=true: cimjob needs --allow-unencrypted)",
		"5F1E2D3C-4B5A-4000-8000-000000000001  Start of VM 'web-01' failed", "msps   9D8C7B6A-5E4F-4000-8000-000000000002"} {
		if !strings.Contains(text, want) {
			t.Errorf("banner lacks %q:\n%s", want, text)
		}
	}
	resp, err := http.Post(url, "application/soap+xml", strings.NewReader("<x/>"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status %d", resp.StatusCode)
	}
	stop()
}

// --tls serves HTTPS with a certificate whose CA lands in --cert-out: a
// client trusting only that file gets through TLS, and Basic is accepted.
func TestServeTLS(t *testing.T) {
	certOut := filepath.Join(t.TempDir(), "ca.pem")
	url, out, stop := startServe(t, "hardened.json", listener{addr: "127.0.0.1:0", tls: true, certOut: certOut})
	text := out.String()
	for _, want := range []string{"URL:   https://127.0.0.1:", "CA:    " + certOut, "basic        accepted\n",
		"ntlm         accepted; channel bindings required (CbtHardeningLevel=Strict)", "certificate  refused: no client CA to verify certificates with (--client-ca)"} {
		if !strings.Contains(text, want) {
			t.Errorf("banner lacks %q:\n%s", want, text)
		}
	}
	cas, err := readCerts(certOut)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cas[0])
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("<x/>"))
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	req.SetBasicAuth("demo", "demo-password")
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Authenticated: the malformed envelope gets a SOAP fault, not a 401.
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("status %d", resp.StatusCode)
	}
	stop()
}

// The out-of-the-box host on HTTP: NTLM with sealing only, Basic refused.
func TestAuthModesWindowsDefault(t *testing.T) {
	s, err := simulator.New(simulator.Options{Scenario: "windows-default.json"})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(authModes(s.Scenario(), false, false, false), "\n")
	want := "ntlm         accepted; every message must be sealed (AllowUnencrypted=false)\n" +
		"basic        refused (Basic is disabled)"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// With a keytab the same host takes Kerberos in its Negotiate scheme.
	got = strings.Join(authModes(s.Scenario(), false, false, true), "\n")
	if !strings.Contains(got, "kerberos     accepted") {
		t.Errorf("with a keytab:\n%s", got)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	var out bytes.Buffer
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "x.pem")
	if err := os.WriteFile(notPEM, []byte("nothing"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--nope"}, {"extra"}, {"--scenario", "missing.json", "--listen", "127.0.0.1:0"},
		{"--cert-out", filepath.Join(dir, "ca.pem")}, {"--tls", "--client-ca", notPEM, "--listen", "127.0.0.1:0"},
		{"--tls", "--client-ca", filepath.Join(dir, "missing.pem"), "--listen", "127.0.0.1:0"}} {
		if err := run(args, &out, &out); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
