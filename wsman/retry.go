package wsman

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"
)

// idempotentKey marks a call's context as carrying an idempotent
// request; the Client sets it from Request.Idempotent.
type idempotentKey struct{}

func withIdempotent(ctx context.Context) context.Context {
	return context.WithValue(ctx, idempotentKey{}, true)
}

// isIdempotent reports whether the request of the call ctx carries may
// be sent again after it may have reached the service.
func isIdempotent(ctx context.Context) bool {
	v, _ := ctx.Value(idempotentKey{}).(bool)
	return v
}

// MayHaveRunError reports a call that failed after its request may have
// reached the service, and that was not sent again, although the failure
// would have been retried, because the request is not marked idempotent
// (Request.Idempotent): the service may have run it, once. Err is the
// failure: an *HTTPError (503, 429), an *AuthError (a 401 to a sealed
// message) or a *TransportError (no reply).
type MayHaveRunError struct {
	Err error
}

func (e *MayHaveRunError) Unwrap() error { return e.Err }

func (e *MayHaveRunError) Error() string {
	return e.Err.Error() + "; not sent again, as the request may have run and is not marked idempotent"
}

// The retry rule, one for both transports. A failed attempt is made again
// when nothing of the request can have reached the service (the
// connection was refused, or failed before the request was written; over
// plain HTTP a handshake leg carries no envelope) and another attempt can
// help (retryableConnError). Once the request was written it goes again
// only when it is idempotent (mayResend), whatever came back: a busy
// status (503, 429) or a 401 to a sealed message is itself not sealed, so
// anyone on the path can forge it after passing the request on, a
// front end's 503 does not prove the service did not run it, and a reply
// that never came may follow a run (RFC 9110 section 9.2.2: only
// idempotent requests are retried automatically). Never after a fault, a
// refusal of credentials, or once the call's context is done.

// mayResend reports whether the request of the call ctx carries may be
// sent again: always when it cannot have reached the service, otherwise
// only when it is idempotent.
func mayResend(ctx context.Context, reached bool) bool {
	return !reached || isIdempotent(ctx)
}

// checkRetry is the retry rule for go-retryablehttp.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, nil
	}
	if err != nil {
		st, _ := ctx.Value(attemptKey{}).(*attemptState)
		wrote := st != nil && st.wrote.Load()
		return retryableConnError(ctx, err) && mayResend(ctx, wrote), nil
	}
	// A reply came: the request reached the service.
	return isBusy(resp.StatusCode) && mayResend(ctx, true), nil
}

// retryableConnError reports whether a connection that failed is worth a
// fresh attempt, if the request may be resent (mayResend): not once ctx
// is done, nor for what another attempt cannot change: a certificate, a
// name that does not resolve, a proxy's refusal.
func retryableConnError(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var (
		verifyErr *tls.CertificateVerificationError
		authority x509.UnknownAuthorityError
		hostname  x509.HostnameError
		proxyErr  *ProxyError
		dnsErr    *net.DNSError
		netOp     *net.OpError
		ne        net.Error
	)
	switch {
	case errors.As(err, &verifyErr), errors.As(err, &authority), errors.As(err, &hostname), errors.As(err, &proxyErr):
		return false
	case errors.As(err, &dnsErr):
		return dnsErr.IsTemporary || dnsErr.IsTimeout
	case errors.Is(err, syscall.ECONNREFUSED), errors.As(err, &netOp) && netOp.Op == "dial":
		return true
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &ne):
		return true
	}
	return false
}

// backoff waits min·2^attempt, capped at max, with "equal jitter" (half
// fixed, half random) so that many clients do not retry in step. A
// Retry-After on 503/429 is honoured up to max.
func backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusTooManyRequests) {
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
			return min(time.Duration(s)*time.Second, maxWait)
		}
	}
	d := minWait
	for i := 0; i < attempt && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	half := d / 2
	return half + rand.N(half+1)
}
