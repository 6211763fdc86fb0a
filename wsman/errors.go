package wsman

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/internal/oneline"
)

// ErrUnencrypted is wrapped by the error NewClient and NewTransport return
// when the configuration would send a password in the clear over plain HTTP without
// AllowUnencrypted.
var ErrUnencrypted = errors.New("wsman: refusing to send credentials in the clear over plain HTTP")

// AuthError reports HTTP 401: the service refused the credentials, or
// offered no scheme the client can use.
type AuthError struct {
	URL string
	// Scheme is the scheme the client tried ("Basic", "Negotiate", ...);
	// empty when it sent no credentials.
	Scheme string
	// Offered lists the WWW-Authenticate challenges the service sent, with
	// any token data removed (scheme and parameters such as realm only).
	Offered []string
	// Err, when set, is why the handshake failed on the client's side (a
	// malformed challenge, a mechanism error) rather than a plain refusal.
	Err error
}

func (e *AuthError) Unwrap() error { return e.Err }

func (e *AuthError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("authentication failed: %s handshake with %s: %v", e.Scheme, e.URL, e.Err)
	}
	tried := "no credentials"
	if e.Scheme != "" {
		tried = e.Scheme + " credentials"
	}
	offered := "no authentication schemes"
	if len(e.Offered) > 0 {
		offered = strings.Join(e.Offered, ", ")
	}
	return fmt.Sprintf("authentication failed: %s refused %s (HTTP 401); it offers %s", e.URL, tried, offered)
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
	// Body is the whole (capped) body when it is SOAP, so that the Client
	// can find a fault in it: Windows also sends faults with 400.
	Body []byte
}

func (e *HTTPError) Error() string {
	status := e.Status
	if status == "" {
		status = fmt.Sprint(e.StatusCode)
	}
	msg := fmt.Sprintf("HTTP %s from %s", status, e.URL)
	if e.StatusCode == 413 {
		msg += " (request larger than the service's MaxEnvelopeSize)"
	}
	if s := oneline.Fold(e.Snippet); s != "" {
		msg += ": " + s
	}
	return msg
}

// TransportError reports that no reply arrived: the connection failed or
// dropped, TLS failed, the deadline passed or the context was cancelled.
type TransportError struct {
	Op  string // "dial", "tls", "send", "read", ...
	URL string
	Err error
}

func (e *TransportError) Unwrap() error { return e.Err }

func (e *TransportError) Error() string {
	switch {
	case e.Timeout():
		return fmt.Sprintf("connection to %s failed: timed out (%s): %v", e.URL, e.Op, e.Err)
	case errors.Is(e.Err, context.Canceled):
		return fmt.Sprintf("connection to %s failed: cancelled (%s)", e.URL, e.Op)
	}
	return fmt.Sprintf("connection to %s failed: %s: %v", e.URL, e.Op, e.Err)
}

// Timeout reports whether the call's deadline, or a network timeout, ended
// the exchange.
func (e *TransportError) Timeout() bool {
	if errors.Is(e.Err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(e.Err, &ne) && ne.Timeout()
}

// ResponseError reports a reply that arrived but is not a usable WS-Man
// response: malformed or hostile XML, too large, not a SOAP envelope, or a
// RelatesTo that does not match the request's MessageID.
type ResponseError struct {
	Reason string
	Err    error
}

func (e *ResponseError) Unwrap() error { return e.Err }

func (e *ResponseError) Error() string {
	msg := "invalid WS-Management reply: " + e.Reason
	if e.Err != nil && !errors.Is(e.Err, cim.ErrTooLarge) && !errors.Is(e.Err, cim.ErrDTD) {
		msg += ": " + oneline.Fold(e.Err.Error())
	}
	return msg
}
