package wsman

import "errors"

// ErrBodyTooLarge is wrapped by the *ResponseError returned when a reply is
// larger than the transport's cap.
var ErrBodyTooLarge = errors.New("wsman: response body exceeds the size limit")

// AuthError reports HTTP 401: the service refused the credentials, or
// offered no scheme the client can use.
type AuthError struct {
	URL string
	// Scheme is the scheme the client tried ("Basic", "Negotiate", ...).
	Scheme string
	// Offered lists the WWW-Authenticate challenges the service sent.
	Offered []string
}

// HTTPError reports an HTTP status other than 200, 401 and 500 (a 500 that
// carries no SOAP fault is also reported this way).
type HTTPError struct {
	URL         string
	StatusCode  int
	Status      string
	ContentType string
	// Snippet is the start of the body, for the one-line reason.
	Snippet string
}

// TransportError reports that no reply arrived: the connection failed or
// dropped, TLS failed, the deadline passed or the context was cancelled.
type TransportError struct {
	Op  string // "dial", "tls", "send", "read", ...
	URL string
	Err error
}

func (e *TransportError) Unwrap() error { return e.Err }

// ResponseError reports a reply that arrived but is not a usable WS-Man
// response: malformed or hostile XML, too large, not a SOAP envelope, or a
// RelatesTo that does not match the request's MessageID.
type ResponseError struct {
	Reason string
	Err    error
}

func (e *ResponseError) Unwrap() error { return e.Err }

// ErrUnencrypted is wrapped by the error NewHTTPTransport returns when its
// configuration would send a password in the clear over plain HTTP without
// AllowUnencrypted.
var ErrUnencrypted = errors.New("wsman: refusing to send credentials in the clear over plain HTTP")
