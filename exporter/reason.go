package exporter

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

// Classify returns why err made a probe fail.
func Classify(err error) Reason {
	return ReasonProtocol
}
