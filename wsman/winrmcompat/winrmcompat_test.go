package winrmcompat_test

import (
	"context"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/cimjob/cimjob/wsman"
	"github.com/cimjob/cimjob/wsman/winrmcompat"
	"github.com/masterzen/winrm"
)

func TestConfig(t *testing.T) {
	tests := []struct {
		ep      winrm.Endpoint
		url     string
		wantErr bool
	}{
		{winrm.Endpoint{Host: "hv01", Port: 5985}, "http://hv01:5985/wsman", false},
		{winrm.Endpoint{Host: "hv01", HTTPS: true}, "https://hv01:5986/wsman", false},
		{winrm.Endpoint{Host: "hv01"}, "http://hv01:5985/wsman", false},
		{winrm.Endpoint{Host: "fe80::1", Port: 5985}, "http://[fe80::1]:5985/wsman", false},
		{winrm.Endpoint{Host: "hv01", HTTPS: true, CACert: []byte("not pem")}, "", true},
		{winrm.Endpoint{Host: "hv01", HTTPS: true, Cert: []byte("x")}, "", true},
		{winrm.Endpoint{Host: "hv01", CACert: []byte("x")}, "", true},
		{winrm.Endpoint{}, "", true},
	}
	for _, tt := range tests {
		cfg, err := winrmcompat.Config(&tt.ep)
		if (err != nil) != tt.wantErr || cfg.URL != tt.url {
			t.Errorf("%+v: %q, %v", tt.ep, cfg.URL, err)
		}
	}
	if _, err := winrmcompat.Config(nil); err == nil {
		t.Error("nil endpoint accepted")
	}
	cfg, _ := winrmcompat.Config(&winrm.Endpoint{Host: "h", HTTPS: true, Insecure: true, TLSServerName: "name"})
	if !cfg.TLSConfig.InsecureSkipVerify || cfg.TLSConfig.ServerName != "name" {
		t.Errorf("TLS settings not carried over: %+v", cfg.TLSConfig)
	}
}

// An endpoint's PEM CA is what the transport trusts.
func TestConfigTrustsEndpointCA(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
		io.WriteString(w, `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>`)
	}))
	defer srv.Close()
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "https://"))
	portN, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	ep := &winrm.Endpoint{Host: host, Port: portN, HTTPS: true, TLSServerName: "example.com",
		CACert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})}
	cfg, err := winrmcompat.Config(ep)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Retries = -1
	tr, err := wsman.NewTransport(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.RoundTrip(context.Background(), []byte("<env/>")); err != nil {
		t.Fatalf("with the endpoint's CA: %v", err)
	}
	// Without it the same server is refused: the CA is what made the difference.
	ep.CACert = nil
	cfg, _ = winrmcompat.Config(ep)
	cfg.Retries = -1
	tr, err = wsman.NewTransport(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.RoundTrip(context.Background(), []byte("<env/>")); err == nil {
		t.Fatal("an untrusted server was accepted")
	}
}
