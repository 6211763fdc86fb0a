package wsman

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/internal/krb"
	"github.com/cimjob/cimjob/internal/termtext"
)

// ErrHeadTooLarge is wrapped by the *ResponseError returned when a reply's
// status line and headers do not end within their bound. That bound is
// fixed (no WinRM service comes near it), unlike the body's: raising
// Config.Limits.MaxBytes does not help, so it is not cim.ErrTooLarge.
var ErrHeadTooLarge = errors.New("wsman: response headers exceed their size limit")

// ErrUnencrypted is wrapped by the error NewClient and NewTransport return
// when the configuration would send a password in the clear over plain
// HTTP without AllowUnencrypted.
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
	if s := termtext.OneLine(e.Snippet); s != "" {
		msg += ": " + s
	}
	return msg
}

// Ops of a TransportError: the phase of the exchange that failed.
const (
	OpDial = "dial" // connecting
	OpTLS  = "tls"  // the TLS handshake
	OpSend = "send" // writing the request
	// OpReply: the request was sent, and the reply did not come (or broke
	// off): the service may have run it.
	OpReply = "reply"
	OpRead  = "read" // reading the reply's body
	OpKDC   = "kdc"  // asking the Kerberos KDC for a ticket
)

// TransportError reports that no reply arrived: the connection failed or
// dropped, TLS failed, the deadline passed or the context was cancelled.
type TransportError struct {
	Op  string // one of the Op constants, or another short phase name
	URL string
	Err error
}

func (e *TransportError) Unwrap() error { return e.Err }

func (e *TransportError) Error() string {
	switch {
	case e.Timeout():
		return fmt.Sprintf("connection to %s failed: timed out %s", e.URL, opPhrase(e.Op))
	case errors.Is(e.Err, context.Canceled):
		return fmt.Sprintf("connection to %s failed: cancelled %s", e.URL, opPhrase(e.Op))
	}
	if e.Op == OpKDC {
		// Nothing was sent to the service yet.
		return fmt.Sprintf("no Kerberos ticket for %s: %s", e.URL, termtext.OneLine(fmt.Sprint(e.Err)))
	}
	label := e.Op
	if e.Op == OpReply {
		label = opPhrase(e.Op)
	}
	return fmt.Sprintf("connection to %s failed: %s", e.URL, withCause(label, termtext.OneLine(fmt.Sprint(e.Err))))
}

// opPhrase says what was going on in op, to follow "timed out".
func opPhrase(op string) string {
	switch op {
	case OpDial:
		return "connecting"
	case OpTLS:
		return "in the TLS handshake"
	case OpSend:
		return "sending the request"
	case OpReply:
		return "waiting for the reply"
	case OpRead:
		return "reading the reply"
	case OpKDC:
		return "asking the Kerberos KDC"
	}
	return "(" + op + ")"
}

// withCause joins a label to the text of its cause without saying the
// same thing twice, whatever layer added it: a cause that already carries
// the label as one of its prefixes ("cim: decoding XML: malformed XML: x"
// under "malformed XML") keeps only what follows it, and one that starts
// with the label as a word ("dial tcp ...", "tls: ...") stands alone.
func withCause(label, cause string) string {
	switch {
	case label == "":
		return cause
	case cause == "":
		return label
	}
	if i := strings.LastIndex(cause, label+": "); i == 0 || i > 1 && cause[i-2:i] == ": " {
		if i == 0 {
			return cause
		}
		return label + ": " + cause[i+len(label)+2:]
	}
	if strings.HasPrefix(cause, label+" ") {
		return cause
	}
	return label + ": " + cause
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
	// Limit, for a reply over the size cap (Err wraps cim.ErrTooLarge), is
	// the cap as configured (Config.Limits.MaxBytes),
	// not the internal bound with room for framing; 0 when unknown.
	Limit int64
}

func (e *ResponseError) Unwrap() error { return e.Err }

func (e *ResponseError) Error() string {
	const prefix = "invalid WS-Management reply: "
	if e.Limit > 0 && errors.Is(e.Err, cim.ErrTooLarge) {
		return prefix + "larger than the size limit of " + ByteSize(e.Limit)
	}
	if e.Err != nil && !errors.Is(e.Err, cim.ErrTooLarge) && !errors.Is(e.Err, ErrHeadTooLarge) && !errors.Is(e.Err, cim.ErrDTD) {
		return prefix + withCause(e.Reason, termtext.OneLine(e.Err.Error()))
	}
	return prefix + e.Reason
}

// ByteSize writes n in the largest binary unit that divides it ("8 MiB",
// "4 KiB", "1000 bytes"), the way a person sets a cap.
func ByteSize(n int64) string {
	switch {
	case n != 0 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n != 0 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n != 0 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// withLimit records the configured cap on a too-large-reply error that
// was found against a bound with room for sealing or framing.
func withLimit(err error, limit int64) error {
	var re *ResponseError
	if errors.As(err, &re) && re.Limit > 0 {
		re.Limit = limit
	}
	return err
}

// ErrNoKerberosTicket matches (errors.Is) the failure of a KerberosAuth
// given no password and no keytab when no credential cache exists: the
// user has to run kinit, or give a keytab.
var ErrNoKerberosTicket = krb.ErrNoTicket
