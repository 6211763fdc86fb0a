package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// writeTestCert writes a self-signed certificate for 127.0.0.1 and its
// key into dir, and returns their paths and a pool that trusts it.
func writeTestCert(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cimjob exporter test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// With a --web.config.file of TLS and basic auth, the endpoints answer
// over HTTPS to the right user only, and what the HTTP server itself
// logs (a client speaking plain HTTP to the TLS port) goes through the
// exporter's logger, in --log.format json, not as a bare line on the
// process's stderr.
func TestExporterWebConfigTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := writeTestCert(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte("scrape-secret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	web := filepath.Join(dir, "web.yml")
	body := "tls_server_config:\n  cert_file: " + certFile + "\n  key_file: " + keyFile + "\nbasic_auth_users:\n  prometheus: " + string(hash) + "\n"
	if err := os.WriteFile(web, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := writeExporterConfig(t, "", exporterModules("hyperv"))
	r := startExporter(t, testExporterEnv(), "--config.file", cfg, "--web.config.file", web, "--log.format", "json")
	secure := "https://" + strings.TrimPrefix(r.url, "http://")
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	for _, tc := range []struct {
		user, password string
		want           int
	}{
		{"", "", http.StatusUnauthorized},
		{"prometheus", "wrong", http.StatusUnauthorized},
		{"prometheus", "scrape-secret", http.StatusOK},
	} {
		req, err := http.NewRequest(http.MethodGet, secure+"/metrics", nil)
		if err != nil {
			t.Fatal(err)
		}
		if tc.user != "" {
			req.SetBasicAuth(tc.user, tc.password)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET /metrics over TLS as %q: %d, want %d", tc.user, resp.StatusCode, tc.want)
		}
	}
	// A client that does not trust the certificate: the server logs the
	// failed handshake, through the exporter's logger or, without one,
	// the log package's (caught here, so that the wait ends either way).
	stdlog := newSyncBuffer()
	log.SetOutput(stdlog)
	defer log.SetOutput(os.Stderr)
	if c, err := tls.Dial("tcp", strings.TrimPrefix(r.url, "http://"), &tls.Config{}); err == nil {
		c.Close()
		t.Fatal("a handshake without trusting the certificate succeeded")
	}
	for {
		ch, std := r.stderr.changes(), stdlog.changes()
		if strings.Contains(r.stderr.String(), "TLS handshake error") {
			break
		}
		if line := stdlog.String(); line != "" {
			t.Fatalf("the HTTP server logged past the exporter's logger: %s", line)
		}
		select {
		case <-ch:
		case <-std:
		case <-r.exited:
			t.Fatal("the exporter exited")
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(r.stderr.String()), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("a log line that is not JSON under --log.format json: %s", line)
		}
	}
	if s := r.stderr.String(); strings.Contains(s, "scrape-secret") || strings.Contains(s, string(hash)) {
		t.Errorf("the log shows the web password or its hash:\n%s", s)
	}
}

// changes is closed at the buffer's next write.
func (b *syncBuffer) changes() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.changed
}
