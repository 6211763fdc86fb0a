package wsman

import "context"

// Transport carries one SOAP envelope to the service and brings back the
// reply; it is the Client's only seam, as http.RoundTripper is
// http.Client's. It owns HTTP, authentication, message encryption and
// retries; the Client above it owns SOAP. NewTransport builds the one a
// Config describes; a test or an in-process service plugs its own in
// through Config.Transport:
//
//	type canned struct{ body []byte }
//
//	func (c canned) RoundTrip(context.Context, []byte) (*wsman.Reply, error) {
//		return &wsman.Reply{Body: c.body, Status: 200}, nil
//	}
//	func (canned) Close() error { return nil }
//
// RoundTrip returns the reply for HTTP 200 and for HTTP 500 (Windows
// sends faults with 500; the Client finds the fault in the body). It
// returns *AuthError for 401, *HTTPError for any other status,
// *TransportError when no reply arrived (connection, TLS, timeout,
// cancelled), and a *ResponseError wrapping cim.ErrTooLarge when the reply
// exceeds the cap. Close releases the connections it keeps; it must be
// safe to call more than once.
type Transport interface {
	RoundTrip(ctx context.Context, envelope []byte) (*Reply, error)
	Close() error
}

// Reply is what a Transport brings back.
type Reply struct {
	Body []byte
	// Status is the HTTP status that carried the body (200 or 500), which
	// the Client records in Fault.HTTPStatus; 0 when unknown.
	Status int
}
