package exporter

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/fleet"
	"github.com/cimjob/cimjob/simulator"
	"github.com/cimjob/cimjob/wsman"
)

func TestClassify(t *testing.T) {
	const u = "http://hv01:5985/wsman"
	fault := func(sub string, code uint32) error {
		f := &wsman.Fault{Subcode: wsman.QName{Space: wsman.NSWSMan, Local: sub}}
		if code != 0 {
			f.WSMan = &wsman.WSManFault{Code: code}
		}
		return fmt.Errorf("job: listing: %w", f)
	}
	tests := []struct {
		name string
		err  error
		want Reason
	}{
		{"401", &wsman.AuthError{URL: u, Scheme: "NTLM"}, ReasonAuth},
		{"handshake refused", &wsman.AuthError{URL: u, Scheme: "NTLM", Err: errors.New("bad challenge")}, ReasonAuth},
		{"access denied fault", fault("AccessDenied", 0), ReasonAuth},
		{"access denied code", fault("InternalError", wsman.CodeAccessDenied), ReasonAuth},
		{"no kerberos ticket", &wsman.TransportError{Op: wsman.OpKDC, URL: u, Err: errors.New("KDC_ERR_C_PRINCIPAL_UNKNOWN")}, ReasonAuth},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), ReasonTimeout},
		{"deadline in transport", &wsman.TransportError{Op: wsman.OpReply, URL: u, Err: context.DeadlineExceeded}, ReasonTimeout},
		{"cancelled", &wsman.TransportError{Op: wsman.OpDial, URL: u, Err: context.Canceled}, ReasonTimeout},
		{"service timed out", fault("TimedOut", 0), ReasonTimeout},
		{"deadline during a handshake", &wsman.AuthError{URL: u, Err: context.DeadlineExceeded}, ReasonTimeout},
		{"refused", &wsman.TransportError{Op: wsman.OpDial, URL: u, Err: syscall.ECONNREFUSED}, ReasonTransport},
		{"reset", &wsman.TransportError{Op: wsman.OpRead, URL: u, Err: syscall.ECONNRESET}, ReasonTransport},
		{"503", &wsman.HTTPError{URL: u, StatusCode: 503}, ReasonTransport},
		{"may have run", &wsman.MayHaveRunError{Err: &wsman.HTTPError{URL: u, StatusCode: 503}}, ReasonTransport},
		{"proxy", &wsman.ProxyError{Proxy: "p:3128", Status: "403 Forbidden"}, ReasonTransport},
		{"tls handshake", &wsman.TransportError{Op: wsman.OpTLS, URL: u, Err: errors.New("tls: handshake failure")}, ReasonTLS},
		{"unknown authority", &wsman.TransportError{Op: wsman.OpDial, URL: u, Err: x509.UnknownAuthorityError{}}, ReasonTLS},
		{"verification", &tls.CertificateVerificationError{Err: x509.HostnameError{Host: "hv01"}}, ReasonTLS},
		{"other fault", fault("InvalidParameter", 0), ReasonFault},
		{"malformed reply", &wsman.ResponseError{Reason: "malformed XML"}, ReasonProtocol},
		{"too large", &wsman.ResponseError{Err: cim.ErrTooLarge, Limit: 1 << 20}, ReasonProtocol},
		{"decode", &cim.DecodeError{Format: cim.FormatDatetime, Reason: "bad"}, ReasonProtocol},
		{"anything else", errors.New("?"), ReasonProtocol},
		{"nil", nil, ""},
	}
	for _, tt := range tests {
		if got := Classify(tt.err); got != tt.want {
			t.Errorf("%s: Classify(%v) = %q, want %q", tt.name, tt.err, got, tt.want)
		}
	}
}

// End to end: a host that refuses the password and one where nothing
// listens fail with their reasons, counted in the exporter's own metrics.
func TestProbeFailureReasons(t *testing.T) {
	f := startFleet(t, simulator.FleetOptions{Hosts: 1, Jobs: 5, Seed: 5, AuthFail: 1})
	e := New(simConfig(t, ""), Options{})
	defer e.Close()
	// A port nothing listens on: the fleet's, once closed. First, since
	// the refused password then holds the module back (authguard.go).
	g := startFleet(t, simulator.FleetOptions{Hosts: 1, Jobs: 5, Seed: 5})
	target := hostPort(t, g.Hosts()[0])
	g.Close()
	r := scrape(t, e, "module=hyperv&target="+target, "")
	if r.gauge(MetricProbeSuccess) != 0 || r.label(MetricProbeFailureInfo, "reason") != "transport" {
		t.Errorf("closed port: %s", r.body)
	}
	r = scrape(t, e, "module=hyperv&target="+hostPort(t, f.Hosts()[0]), "")
	if r.gauge(MetricProbeSuccess) != 0 || r.label(MetricProbeFailureInfo, "reason") != "auth" || r.gauge(fleet.MetricHostUp) != 0 {
		t.Errorf("wrong password: %s", r.body)
	}
	own := gatherOwn(t, e)
	for _, want := range []string{
		`cimjob_exporter_probe_failures_total{module="hyperv",reason="auth"} 1`,
		`cimjob_exporter_probe_failures_total{module="hyperv",reason="transport"} 1`,
		`cimjob_exporter_probes_total{module="hyperv",result="failure"} 2`,
	} {
		if !contains(own, want) {
			t.Errorf("own metrics lack %s:\n%s", want, own)
		}
	}
}
