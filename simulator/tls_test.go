package simulator

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cimjob/cimjob/internal/ntlm"
	"github.com/cimjob/cimjob/internal/testca"
)

// startTLSSim starts a loopback HTTPS simulator and returns a client TLS
// config that trusts it through CertPEM only.
func startTLSSim(t *testing.T, scenario string, clientCAs ...*x509.Certificate) (*Server, string, *tls.Config) {
	t.Helper()
	s, err := New(Options{Scenario: scenario, Logf: t.Logf, ClientCAs: clientCAs})
	if err != nil {
		t.Fatal(err)
	}
	if s.CertPEM() != nil || s.Certificate() != nil {
		t.Error("certificate before StartTLS")
	}
	url, err := s.StartTLS("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.CertPEM()) {
		t.Fatalf("CertPEM is not PEM: %q", s.CertPEM())
	}
	return s, url, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

func TestStartTLSCertificate(t *testing.T) {
	s, url, _ := startTLSSim(t, "hardened.json")
	if url[:8] != "https://" {
		t.Errorf("url %q", url)
	}
	leaf := s.Certificate()
	if _, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || leaf.NotAfter.Sub(leaf.NotBefore) > 25*time.Hour {
		t.Errorf("leaf key %T, valid %v", leaf.PublicKey, leaf.NotAfter.Sub(leaf.NotBefore))
	}
	for _, host := range []string{"127.0.0.1", "::1", "localhost"} {
		if err := leaf.VerifyHostname(host); err != nil {
			t.Error(err)
		}
	}
	if _, err := s.StartTLS("127.0.0.1:0"); err == nil {
		t.Error("second StartTLS succeeded")
	}
}

// A given certificate is served as it is.
func TestStartTLSGivenCertificate(t *testing.T) {
	cert, caPEM, err := GenerateCert(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Scenario: "hardened.json", TLSCertificate: &tls.Certificate{Certificate: cert.Certificate, PrivateKey: cert.PrivateKey}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartTLS("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.Certificate().Equal(cert.Leaf) || string(s.CertPEM()) != string(caPEM) {
		t.Error("the given certificate is not the one served")
	}
}

func TestBasicOverHTTPS(t *testing.T) {
	_, url, cfg := startTLSSim(t, "hardened.json")
	body := loadRequest(t, "invoke.xml", defaultVars())
	c := newSealedClient(t, url, ntlm.ClientConfig{}, cfg)
	for _, tt := range []struct {
		user, pass string
		status     int
	}{
		{"demo", "demo-password", http.StatusOK},
		{`HV05\demo`, "demo-password", http.StatusOK},
		{"demo", "wrong", http.StatusUnauthorized},
	} {
		h := soapHeader()
		req, _ := http.NewRequest(http.MethodPost, url, nil)
		req.SetBasicAuth(tt.user, tt.pass)
		h.Set("Authorization", req.Header.Get("Authorization"))
		r := c.do(h, body)
		if r.status != tt.status {
			t.Errorf("%s/%s: status %d, want %d", tt.user, tt.pass, r.status, tt.status)
		}
		if r.status == http.StatusOK {
			if rep := parseReply(t, r.body); rep.body.Tag != "GetError_OUTPUT" {
				t.Errorf("reply %s", rep.body.Tag)
			}
		}
	}
}

// EPA: hardened.json has CbtHardeningLevel=Strict, so NTLM over HTTPS must
// carry the bindings of the served certificate.
func TestChannelBindings(t *testing.T) {
	s, url, cfg := startTLSSim(t, "hardened.json")
	other, _, err := GenerateCert(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	body := loadRequest(t, "invoke.xml", defaultVars())
	for _, tt := range []struct {
		name   string
		cb     *ntlm.ChannelBindings
		status int
	}{
		{"bindings of the served certificate", ntlm.TLSServerEndPoint(s.Certificate()), http.StatusOK},
		{"no bindings", nil, http.StatusUnauthorized},
		{"bindings of another certificate", ntlm.TLSServerEndPoint(other.Leaf), http.StatusUnauthorized},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newSealedClient(t, url, ntlm.ClientConfig{User: "demo", Password: "demo-password", ChannelBindings: tt.cb}, cfg)
			r, err := c.handshake(nil)
			if err != nil || r.status != tt.status {
				t.Fatalf("%v: status %d, want %d", err, r.status, tt.status)
			}
			if tt.status != http.StatusOK {
				return
			}
			// Over HTTPS the messages themselves go plain.
			if r := c.do(soapHeader(), body); r.status != http.StatusOK {
				t.Errorf("plain message over HTTPS: status %d", r.status)
			}
		})
	}
}

func TestCertificateMapping(t *testing.T) {
	ca := testca.New(t, "client CA")
	stranger := testca.New(t, "unknown CA")
	s, url, base := startTLSSim(t, "hardened.json", ca.Cert)
	hv := loadRequest(t, "invoke.xml", defaultVars())
	msps := loadRequest(t, "invoke.xml", defaultVars().with("$RESOURCE", mspsURI, "$ACTION", mspsURI+"/GetError",
		"$ID", "9D8C7B6A-5E4F-4000-8000-000000000002"))
	tests := []struct {
		name   string
		cert   *tls.Certificate
		header bool
		body   []byte
		status int
	}{
		{"mapped UPN", ptr(ca.Issue(t, "ops@corp.example")), true, hv, http.StatusOK},
		{"mapped UPN, other case", ptr(ca.Issue(t, "OPS@Corp.Example")), true, msps, http.StatusOK},
		{"wildcard mapping inside its URI", ptr(ca.Issue(t, "build7@automation.corp.example")), true, hv, http.StatusOK},
		{"wildcard mapping outside its URI", ptr(ca.Issue(t, "build7@automation.corp.example")), true, msps, http.StatusUnauthorized},
		{"disabled mapping", ptr(ca.Issue(t, "retired@corp.example")), true, hv, http.StatusUnauthorized},
		{"unmapped UPN", ptr(ca.Issue(t, "eve@corp.example")), true, hv, http.StatusUnauthorized},
		{"no UPN", ptr(ca.Issue(t, "")), true, hv, http.StatusUnauthorized},
		{"certificate without the mutual header", ptr(ca.Issue(t, "ops@corp.example")), false, hv, http.StatusUnauthorized},
		{"mutual header without a certificate", nil, true, hv, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base.Clone()
			if tt.cert != nil {
				cfg.Certificates = []tls.Certificate{*tt.cert}
			}
			c := newSealedClient(t, url, ntlm.ClientConfig{}, cfg)
			h := soapHeader()
			if tt.header {
				h.Set("Authorization", MutualProfile)
			}
			if r := c.do(h, tt.body); r.status != tt.status {
				t.Errorf("status %d, want %d", r.status, tt.status)
			}
		})
	}
	t.Run("certificate of an unknown CA", func(t *testing.T) {
		cfg := base.Clone()
		// Sent whatever CAs the server names (Go's client would otherwise
		// send nothing), so that the server's verification is what refuses.
		cert := stranger.Issue(t, "ops@corp.example")
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
		req, _ := http.NewRequest(http.MethodPost, url, nil)
		req.Header = soapHeader()
		req.Header.Set("Authorization", MutualProfile)
		tr := &http.Transport{TLSClientConfig: cfg}
		defer tr.CloseIdleConnections()
		if resp, err := (&http.Client{Transport: tr}).Do(req); err == nil {
			resp.Body.Close()
			t.Errorf("TLS accepted a certificate of an unknown CA: status %d", resp.StatusCode)
		}
	})
	if st := s.Stats(); st.Actions[hvURI+"/GetError"] != 2 || st.Actions[mspsURI+"/GetError"] != 1 {
		t.Errorf("actions %v", st.Actions)
	}
}

// A mapping that names its issuer takes only certificates that issuer
// signed.
func TestCertificateMappingIssuer(t *testing.T) {
	ca := testca.New(t, "client CA")
	other := testca.New(t, "other CA")
	dir := t.TempDir()
	scenario, err := os.ReadFile("../fixtures/scenarios/hardened.json")
	if err != nil {
		t.Fatal(err)
	}
	sc := string(scenario)
	sc = replaceOnce(t, sc, `"subject": "ops@corp.example",`, `"subject": "ops@corp.example", "issuer": "`+Thumbprint(ca.Cert)+`",`)
	writeScenario(t, dir, "issuer.json", sc)
	s, err := New(Options{FS: os.DirFS(dir), Scenario: "issuer.json", ClientCAs: []*x509.Certificate{ca.Cert, other.Cert}})
	if err != nil {
		t.Fatal(err)
	}
	url, err := s.StartTLS("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.CertPEM())
	for _, tt := range []struct {
		ca     *testca.CA
		status int
	}{{ca, http.StatusOK}, {other, http.StatusUnauthorized}} {
		cfg := &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{tt.ca.Issue(t, "ops@corp.example")}}
		c := newSealedClient(t, url, ntlm.ClientConfig{}, cfg)
		h := soapHeader()
		h.Set("Authorization", MutualProfile)
		if r := c.do(h, loadRequest(t, "invoke.xml", defaultVars())); r.status != tt.status {
			t.Errorf("%s: status %d, want %d", tt.ca.Cert.Subject.CommonName, r.status, tt.status)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// writeScenario puts a scenario beside a copy of the fixtures' responses.
func writeScenario(t *testing.T, dir, name, text string) {
	t.Helper()
	if err := os.CopyFS(filepath.Join(dir, "responses"), os.DirFS("../fixtures/responses")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "scenarios"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "scenarios", name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func replaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("%q not found", old)
	}
	return strings.Replace(s, old, new, 1)
}
