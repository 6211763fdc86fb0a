package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/cimjob/cimjob/simulator"
)

// writeTestCert writes a server certificate for 127.0.0.1 (the
// simulator's) and its key into dir, and returns their paths and a pool
// that trusts it.
func writeTestCert(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	cert, caPEM, err := simulator.GenerateCert(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
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
	checkBasicAuth(t, client, secure+"/metrics")
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
