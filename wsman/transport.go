package wsman

import "context"

// Transport carries one SOAP envelope to the service and brings back the
// reply. It owns HTTP, authentication, message encryption and retries; the
// Client above it owns SOAP.
//
// RoundTrip returns the reply body for HTTP 200 and for HTTP 500 (Windows
// sends faults with 500; the Client finds the fault in the body). It returns
// *AuthError for 401, *HTTPError for any other status, *TransportError when
// no reply arrived (connection, TLS, timeout, cancelled), and a
// *ResponseError wrapping ErrBodyTooLarge when the reply exceeds the cap.
type Transport interface {
	RoundTrip(ctx context.Context, envelope []byte) ([]byte, error)
}

// StatusTransport is a Transport that also reports the HTTP status of the
// reply, which the Client records in Fault.HTTPStatus. HTTPTransport is one.
type StatusTransport interface {
	Transport
	RoundTripStatus(ctx context.Context, envelope []byte) (body []byte, status int, err error)
}
