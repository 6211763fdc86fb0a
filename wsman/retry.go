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

// checkRetry is the retry policy: try again only when nothing can have
// reached the service (the connection was refused, or failed before the
// request was written) or the service said it is busy (503, 429). Never a
// fault (500), never a 401, never once the context is done: retrying a
// method that changes state, after the service may have run it, could run
// it twice.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, nil
	}
	if err != nil {
		st, _ := ctx.Value(attemptKey{}).(*attemptState)
		wrote := st != nil && st.wrote.Load()
		return retryableConnError(ctx, err, wrote), nil
	}
	switch resp.StatusCode {
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		return true, nil
	}
	return false, nil
}

// retryableConnError is the one rule, for both transports, on whether a
// failed connection is worth a fresh attempt. mayHaveRun says the request
// was written, wholly, and no reply came: the service may have run it, so
// it is never resent, whatever the failure. Otherwise a failure before or
// while writing is retried, except once ctx is done and except for what
// another attempt cannot change: a certificate, a name that does not
// resolve, a proxy's refusal.
func retryableConnError(ctx context.Context, err error, mayHaveRun bool) bool {
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
		return true // no connection, so nothing was sent
	case mayHaveRun:
		return false
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
