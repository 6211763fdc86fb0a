package wsman

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// SessionTransport is the Transport for authentication bound to a
// connection (NTLMAuth, KerberosAuth): it keeps its own small pool of HTTP/1.1
// connections, runs one handshake per connection, and then, over plain
// HTTP, seals every envelope and unseals every reply with that
// connection's context (MS-WSMV message encryption); over HTTPS it sends
// them as they are, TLS protecting them, with the handshake bound to the
// server's certificate (channel binding). It never sends an envelope
// unsealed over plain HTTP.
//
// A connection carries one call at a time and its security context never
// moves to another connection. A connection the service closed while
// idle is replaced by a fresh, re-authenticated one; so is one whose
// context the service dropped (a 401 to a sealed message), once per call.
// Failed calls are retried, whole and on a fresh connection, when nothing
// can have reached the service (the connection failed before the envelope
// was written); once the envelope was written, only when the request is
// idempotent (Request.Idempotent) and the service said it is busy (503,
// 429), dropped the context, or the reply never came. Such a status is
// not sealed, so anyone on the path can forge it: a request not marked
// idempotent is sent once, and the failure is a *MayHaveRunError. Never
// after a fault or a refusal of credentials.
//
// Proxies: an https service is reached through an HTTP proxy with
// CONNECT; an http service with absolute-form requests, which works only
// with a proxy that keeps each client connection on one server connection
// for Negotiate (Squid's connection pinning); https:// and SOCKS proxies
// are not supported.
//
// It is safe for concurrent use; Close releases its idle connections.
type SessionTransport struct {
	cfg    Config
	url    *url.URL
	urlStr string
	auth   sessionAuth
	seal   bool
	tls    *tls.Config
	debug  *debugTransport

	slots chan struct{} // one per connection in use
	// mechMu guards mech, made at the first connection.
	mechMu sync.Mutex
	mech   newContext

	mu     sync.Mutex
	idle   []*sessConn // most recently used last
	closed bool

	// onIdleClosed, for tests, is called when the watcher closes an idle
	// connection the service dropped.
	onIdleClosed func()
	// onWatcherWoke and onWatcherExit, for tests, are called by an idle
	// watcher once it has its verdict, before it takes t.mu, and as it ends.
	onWatcherWoke, onWatcherExit func()
}

// newSessionTransport returns a transport for cfg, whose Auth must
// authenticate a connection (NTLMAuth, KerberosAuth) and which has its
// defaults. It opens no connection and, for Kerberos, logs in at the first
// call.
func newSessionTransport(cfg Config, u *url.URL) (*SessionTransport, error) {
	auth, ok := cfg.Auth.(sessionAuth)
	if !ok {
		return nil, fmt.Errorf("wsman: a SessionTransport needs NTLMAuth or KerberosAuth, not %T", cfg.Auth)
	}
	tc, err := clientTLSConfig(cfg)
	if err != nil {
		return nil, err
	}
	t := &SessionTransport{
		cfg:    cfg,
		url:    u,
		urlStr: u.String(),
		auth:   auth,
		seal:   u.Scheme == "http",
		tls:    tc,
		slots:  make(chan struct{}, cfg.MaxConns),
	}
	if cfg.Debug != nil {
		t.debug = newDebugTransport(nil, cfg.Debug)
	}
	return t, nil
}

// Close implements Transport: it closes the idle connections, and those
// of calls in flight as the calls end. The transport still works
// afterwards, without keeping connections.
func (t *SessionTransport) Close() error {
	t.mu.Lock()
	idle := t.idle
	t.idle, t.closed = nil, true
	t.mu.Unlock()
	for _, c := range idle {
		c.conn.Close()
	}
	return nil
}

// RoundTrip implements Transport.
func (t *SessionTransport) RoundTrip(ctx context.Context, envelope []byte) (*Reply, error) {
	ctx, cancel := withCallDeadline(ctx, t.cfg.CallTimeout)
	defer cancel()
	fresh, reauthenticated := false, false
	for attempt := 0; ; {
		r := t.try(ctx, envelope, fresh)
		fresh = false
		if r.err == nil {
			return &Reply{Body: r.body, Status: r.status}, nil
		}
		// A kept connection the service dropped, or whose context it
		// dropped (a 401 to a sealed message).
		reauth := r.kept && !reauthenticated && (r.unauthorized || (r.connFailed && !r.sent))
		switch {
		case (reauth || r.retryable) && !mayResend(ctx, r.sent):
			return nil, &MayHaveRunError{Err: r.err}
		case reauth && ctx.Err() == nil:
			// The service dropped a kept connection or its context: one
			// fresh, re-authenticated connection, without counting it as
			// a retry.
			reauthenticated, fresh = true, true
			continue
		case r.retryable && attempt < t.cfg.Retries && ctx.Err() == nil:
			wait := backoff(t.cfg.RetryWaitMin, t.cfg.RetryWaitMax, attempt, r.resp)
			attempt++
			timer := time.NewTimer(wait)
			select {
			case <-timer.C:
				fresh = true
				continue
			case <-ctx.Done():
				timer.Stop()
			}
		}
		return nil, r.err
	}
}

// tryResult is the outcome of one attempt at a call.
type tryResult struct {
	body   []byte
	status int
	err    error
	resp   *http.Response // the reply, for Retry-After
	// kept is true when the attempt ran on a connection that had carried
	// an earlier call.
	kept bool
	// sent is true once the envelope was written where the service may
	// run it: then only an idempotent request goes again (mayResend).
	sent         bool
	connFailed   bool
	unauthorized bool
	retryable    bool
}

// try makes one attempt: a connection (kept, unless fresh, or new and
// authenticated), the envelope, the reply.
func (t *SessionTransport) try(ctx context.Context, envelope []byte, fresh bool) (r tryResult) {
	select {
	case t.slots <- struct{}{}:
	case <-ctx.Done():
		return tryResult{err: newTransportError(t.urlStr, "wait for a connection", ctx.Err())}
	}
	defer func() { <-t.slots }()

	c := t.kept(fresh)
	r.kept = c != nil
	if c == nil {
		// Credentials first (a Kerberos login): no connection for a
		// client that cannot authenticate.
		if _, err := t.mechanism(ctx); err != nil {
			return t.setupFailed(ctx, r, err)
		}
		d, err := t.dial(ctx)
		if err != nil {
			return t.connFailure(ctx, r, "dial", ctxErrOr(ctx, err))
		}
		c = newSessConn(d)
	}
	keep := false
	defer func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if keep && !t.closed {
			t.putIdle(c)
			return
		}
		c.conn.Close()
	}()

	var (
		x   exchangeResult
		err error
	)
	if c.sec == nil {
		x, r.sent, err = t.handshake(ctx, c, envelope)
	}
	if err == nil && x.resp == nil {
		// Sealed traffic goes after the handshake (which then returns no
		// reply); over HTTPS the envelope rode on the handshake unless the
		// connection was kept.
		x, err = t.send(ctx, c, envelope)
		r.sent = r.sent || x.wrote
	}
	if err != nil {
		var (
			ae *AuthError
			re *ResponseError
			he *HTTPError
			te *TransportError
		)
		switch {
		case errors.As(err, &te) && te.Op == OpKDC:
			return t.setupFailed(ctx, r, err)
		case errors.As(err, &ae):
			r.err, r.unauthorized = err, true
			return r
		case errors.As(err, &re):
			r.err = err
			return r
		case errors.As(err, &he):
			// A handshake leg answered neither 401 nor success. Over HTTPS
			// the envelope rode on it, and a busy status does not prove it
			// did not run.
			r.err, r.status, r.resp = err, he.StatusCode, x.resp
			r.retryable = isBusy(he.StatusCode)
			r.sent = r.sent || !t.seal
			return r
		}
		// What failed is known from how far the exchange got, not from
		// whether the envelope went out: a handshake leg carries none.
		op := OpSend
		switch {
		case x.resp != nil:
			op = OpRead
		case x.wrote:
			op = OpReply
		}
		return t.connFailure(ctx, r, op, err)
	}
	r.resp = x.resp
	r.body, r.status, r.err = classifyReply(t.urlStr, t.auth.Scheme(), x.resp, x.body)
	if he, ok := r.err.(*HTTPError); ok && t.seal && !x.unsealed {
		// Anyone on the path could have written an unsealed body: never
		// read a fault out of it.
		he.Body = nil
	}
	switch {
	case isBusy(r.status):
		// Busy: the whole call again later, on a fresh connection.
		r.retryable = true
		return r
	case r.status == http.StatusUnauthorized:
		r.unauthorized = true
		return r
	}
	keep = x.reusable
	return r
}

// mechanism returns the transport's context factory, preparing it on
// first use; a failure is not kept, so that a later call tries again.
func (t *SessionTransport) mechanism(ctx context.Context) (newContext, error) {
	t.mechMu.Lock()
	defer t.mechMu.Unlock()
	if t.mech == nil {
		m, err := t.auth.mechanism(ctx)
		if err != nil {
			return nil, err
		}
		t.mech = m
	}
	return t.mech, nil
}

// kept takes an idle connection that is still fit, most recent first;
// nil when there is none or fresh is asked for.
func (t *SessionTransport) kept(fresh bool) *sessConn {
	if fresh {
		return nil
	}
	for {
		t.mu.Lock()
		n := len(t.idle)
		if n == 0 {
			t.mu.Unlock()
			return nil
		}
		c := t.idle[n-1]
		t.idle = t.idle[:n-1]
		t.mu.Unlock()
		if t.take(c) {
			return c
		}
	}
}

// setupFailed records a failure to make a security context (see
// setupFailure): nothing reached the service, so a KDC that could not be
// reached is worth another attempt while the context lasts.
func (t *SessionTransport) setupFailed(ctx context.Context, r tryResult, err error) tryResult {
	var te *TransportError
	if !errors.As(err, &te) {
		err = setupFailure(t.urlStr, t.auth.Scheme(), err)
	}
	if errors.As(err, &te) {
		r.err, r.retryable = err, ctx.Err() == nil
		return r
	}
	r.err, r.unauthorized = err, true
	return r
}

// connFailure records a connection that failed before a reply arrived.
func (t *SessionTransport) connFailure(ctx context.Context, r tryResult, op string, err error) tryResult {
	if op == OpSend && r.sent {
		op = OpReply
	}
	r.err = newTransportError(t.urlStr, op, err)
	r.connFailed = true
	r.retryable = retryableConnError(ctx, err)
	return r
}
