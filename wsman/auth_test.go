package wsman

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cimjob/cimjob/internal/testca"
)

// tlsConfigFor trusts hs's certificate.
func tlsConfigFor(hs *httptest.Server) *tls.Config {
	return hs.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
}

func TestCertificateAuthOverHTTPS(t *testing.T) {
	cert := testca.New(t, "client CA").Issue(t, "wsadmin@corp.example")
	var gotAuth, gotSubject string
	hs := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		if len(r.TLS.PeerCertificates) > 0 {
			gotSubject = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		w.Header().Set("Content-Type", soapContentType)
		io.WriteString(w, soapOK)
	}))
	hs.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	hs.StartTLS()
	defer hs.Close()

	cfg := fastConfig(hs.URL + "/wsman")
	cfg.Auth, cfg.TLSConfig = CertificateAuth{Cert: cert}, tlsConfigFor(hs)
	tr, err := NewTransport(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tr.(*HTTPTransport); !ok {
		t.Errorf("NewTransport picked %T for a certificate", tr)
	}
	if _, err := tr.RoundTrip(context.Background(), []byte("<env/>")); err != nil {
		t.Fatal(err)
	}
	if gotAuth != ProfileHTTPSMutual || gotSubject != "client wsadmin@corp.example" {
		t.Errorf("Authorization %q, client certificate %q", gotAuth, gotSubject)
	}
	// cfg.TLSConfig is the caller's: the certificate was added to a copy.
	if len(cfg.TLSConfig.Certificates) != 0 {
		t.Error("NewTransport changed the caller's TLS config")
	}
}

func TestBasicOverHTTPSThroughNewTransport(t *testing.T) {
	hs := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "admin" || p != "pw" {
			w.Header().Set("WWW-Authenticate", `Basic realm="WSMAN"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", soapContentType)
		io.WriteString(w, soapOK)
	}))
	defer hs.Close()
	for _, tt := range []struct {
		password string
		ok       bool
	}{{"pw", true}, {"wrong", false}} {
		cfg := fastConfig(hs.URL + "/wsman")
		cfg.Auth, cfg.TLSConfig = &BasicAuth{Username: "admin", Password: tt.password}, tlsConfigFor(hs)
		tr, err := NewTransport(cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tr.RoundTrip(context.Background(), []byte("<env/>"))
		var ae *AuthError
		if tt.ok && err != nil || !tt.ok && !errors.As(err, &ae) {
			t.Errorf("password %q: err = %v", tt.password, err)
		}
	}
}

func TestNewTransportChecks(t *testing.T) {
	ntlmAuth := NTLMAuth{Username: `LAB\u`, Password: "p"}
	tests := []struct {
		name    string
		cfg     Config
		want    string // the transport's type, or "" for an error
		errLike string
	}{
		{"ntlm over http", Config{URL: "http://h:5985/wsman", Auth: ntlmAuth}, "*wsman.SessionTransport", ""},
		{"ntlm pointer over https", Config{URL: "https://h:5986/wsman", Auth: &ntlmAuth}, "*wsman.SessionTransport", ""},
		{"kerberos over http", Config{URL: "http://h:5985/wsman", Auth: KerberosAuth{SPN: "HTTP/h.example"}}, "*wsman.SessionTransport", ""},
		{"basic over https", Config{URL: "https://h:5986/wsman", Auth: BasicAuth{}}, "*wsman.HTTPTransport", ""},
		{"basic over http", Config{URL: "http://h:5985/wsman", Auth: BasicAuth{}}, "", "in the clear"},
		{"certificate over http", Config{URL: "http://h:5985/wsman", Auth: CertificateAuth{Cert: tls.Certificate{Certificate: [][]byte{{1}}}}}, "", "needs an https URL"},
		{"certificate without one", Config{URL: "https://h:5986/wsman", Auth: CertificateAuth{}}, "", "no certificate"},
		{"credentials in URL", Config{URL: "http://u:p@h:5985/wsman", Auth: ntlmAuth}, "", "carries credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := NewTransport(tt.cfg)
			switch {
			case tt.want == "" && (err == nil || !strings.Contains(err.Error(), tt.errLike)):
				t.Errorf("err = %v, want one saying %q", err, tt.errLike)
			case tt.want != "" && err != nil:
				t.Errorf("err = %v", err)
			case tt.want != "" && fmt.Sprintf("%T", tr) != tt.want:
				t.Errorf("transport %s, want %s", fmt.Sprintf("%T", tr), tt.want)
			}
		})
	}
	if err := ntlmAuth.Authorize(&http.Request{}); err == nil {
		t.Error("NTLMAuth.Authorize succeeded")
	}
}
