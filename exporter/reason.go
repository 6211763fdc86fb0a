package exporter

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"

	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/wsman"
)

// Reason is why a probe failed, the reason label of
// cimjob_probe_failure_info and cimjob_exporter_probe_failures_total.
type Reason string

// The failure reasons; Classify maps an error to one.
const (
	// ReasonAuth: the host refused the credentials or the handshake, or
	// the account may not read the jobs (AuthError, HTTP 401,
	// wsman.ErrAccessDenied).
	ReasonAuth Reason = "auth"
	// ReasonTimeout: the probe's deadline passed, or the service gave up
	// (wsman.ErrTimedOut).
	ReasonTimeout Reason = "timeout"
	// ReasonTransport: no connection, a reset, an HTTP status other than
	// the protocol's.
	ReasonTransport Reason = "transport"
	// ReasonTLS: the TLS handshake failed or the certificate did not
	// verify.
	ReasonTLS Reason = "tls"
	// ReasonFault: the service answered with a SOAP fault of another kind.
	ReasonFault Reason = "fault"
	// ReasonProtocol: the reply was malformed or too large.
	ReasonProtocol Reason = "protocol"
)

// Reasons lists every Reason, in a fixed order.
func Reasons() []Reason {
	return []Reason{ReasonAuth, ReasonTimeout, ReasonTransport, ReasonTLS, ReasonFault, ReasonProtocol}
}

// Classify returns why err made a probe fail, from wsman's typed errors.
// The order matters: a deadline ends whatever was under way (a handshake,
// a read), and a refusal of credentials may come as a fault.
func Classify(err error) Reason {
	var (
		ae   *wsman.AuthError
		te   *wsman.TransportError
		he   *wsman.HTTPError
		pe   *wsman.ProxyError
		re   *wsman.ResponseError
		f    *wsman.Fault
		de   *cim.DecodeError
		cve  *tls.CertificateVerificationError
		uae  x509.UnknownAuthorityError
		hne  x509.HostnameError
		cie  x509.CertificateInvalidError
		rhe  tls.RecordHeaderError
		alrt tls.AlertError
	)
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.Is(err, wsman.ErrTimedOut), errors.As(err, &te) && te.Timeout():
		return ReasonTimeout
	case errors.As(err, &ae), errors.Is(err, wsman.ErrAccessDenied),
		errors.As(err, &te) && te.Op == wsman.OpKDC:
		return ReasonAuth
	case errors.As(err, &te) && te.Op == wsman.OpTLS,
		errors.As(err, &cve), errors.As(err, &uae), errors.As(err, &hne), errors.As(err, &cie),
		errors.As(err, &rhe), errors.As(err, &alrt):
		return ReasonTLS
	case errors.As(err, &f):
		return ReasonFault
	case errors.As(err, &re), errors.As(err, &de), errors.Is(err, cim.ErrTooLarge):
		return ReasonProtocol
	case errors.As(err, &te), errors.As(err, &he), errors.As(err, &pe):
		return ReasonTransport
	}
	return ReasonProtocol
}
