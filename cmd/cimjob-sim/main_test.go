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

// TestCAFileCannotBePlanted: the CA to trust used to go to a fixed name in
// the shared temporary directory, written through whatever was there, so
// that another local user could plant a link (to overwrite a file of ours)
// or their own CA (to be trusted by our clients). By default it now goes
// into a new private directory; a --cert-out that exists, as a file or as a
// link, is refused and left alone.
func TestCAFileCannotBePlanted(t *testing.T) {
	tmp, link, planted, unchanged := plant(t, "cimjob-sim-ca.pem", "planted-ca.pem", "an attacker's CA")

	t.Run("default", func(t *testing.T) {
		url, out, stop := startServe(t, "hardened.json", listener{addr: "127.0.0.1:0", tls: true})
		ca := caPath(t, out.String())
		if ca == link || filepath.Dir(ca) == tmp {
			t.Errorf("the CA went to %s, in the shared directory", ca)
		}
		dir, err := os.Lstat(filepath.Dir(ca))
		if err != nil || !dir.IsDir() || dir.Mode().Perm() != 0o700 {
			t.Errorf("the CA's directory: %v, %v; want a directory only its owner can enter", dir, err)
		}
		if fi, err := os.Lstat(ca); err != nil || !fi.Mode().IsRegular() {
			t.Errorf("the CA file: %v, %v; want a regular file", fi, err)
		}
		trustOnly(t, ca, url)
		unchanged(t)
		stop()
		if _, err := os.Lstat(filepath.Dir(ca)); !os.IsNotExist(err) {
			t.Errorf("the private directory outlives the simulator: %v", err)
		}
	})

	for name, path := range map[string]string{"link": link, "file": planted} {
		t.Run("existing "+name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			var out bytes.Buffer
			err := serve(ctx, simulator.Options{Scenario: "hardened.json"}, listener{addr: "127.0.0.1:0", tls: true, certOut: path}, "", &out, nil)
			if err == nil || !strings.Contains(err.Error(), path) {
				t.Errorf("serve with --cert-out %s = %v, want a refusal naming it", path, err)
			}
			unchanged(t)
		})
	}

	t.Run("new file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "ca.pem")
		url, out, stop := startServe(t, "hardened.json", listener{addr: "127.0.0.1:0", tls: true, certOut: path})
		if got := caPath(t, out.String()); got != path {
			t.Errorf("banner names %s, want %s", got, path)
		}
		trustOnly(t, path, url)
		stop()
		// The CA is made at start and dies with the simulator; a stale file
		// would only make the next run refuse to start.
		if _, err := os.Lstat(path); !os.IsNotExist(err) {
			t.Errorf("the CA file outlives the simulator: %v", err)
		}
	})
}

// plant sets up what another local user could leave in the shared
// temporary directory (TMPDIR, pointed at tmp for the test): under
// fixedName, the name the simulator used to write, a link to a file of
// ours; under plantedName, a file of theirs holding content. unchanged
// checks that all three are still as planted.
func plant(t *testing.T, fixedName, plantedName, content string) (tmp, link, planted string, unchanged func(*testing.T)) {
	tmp = t.TempDir()
	t.Setenv("TMPDIR", tmp)
	victim := filepath.Join(tmp, "victim")
	planted = filepath.Join(tmp, plantedName)
	link = filepath.Join(tmp, fixedName)
	want := map[string]string{victim: "mine", planted: content}
	for path, content := range want {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	return tmp, link, planted, func(t *testing.T) {
		t.Helper()
		for path, content := range want {
			if b, err := os.ReadFile(path); err != nil || string(b) != content {
				t.Errorf("%s now holds %q (%v), want %q", path, b, err, content)
			}
		}
		if dest, err := os.Readlink(link); err != nil || dest != victim {
			t.Errorf("the planted link now points to %q (%v)", dest, err)
		}
	}
}

// caPath is the CA file the banner names.
func caPath(t *testing.T, banner string) string {
	t.Helper()
	for _, line := range strings.Split(banner, "\n") {
		if rest, ok := strings.CutPrefix(line, "CA:    "); ok {
			path, _, _ := strings.Cut(rest, " (")
			return path
		}
	}
	t.Fatalf("the banner names no CA:\n%s", banner)
	return ""
}

// trustOnly completes a TLS handshake with the server at url trusting only
// the CA in caFile: the written CA is the one the server uses.
func trustOnly(t *testing.T, caFile, url string) {
	t.Helper()
	cas, err := readCerts(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	for _, c := range cas {
		pool.AddCert(c)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Post(url, "application/soap+xml;charset=UTF-8", strings.NewReader("<x/>"))
	if err != nil {
		t.Fatalf("TLS trusting only %s: %v", caFile, err)
	}
	resp.Body.Close()
}
