package wsman

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Defaults HTTPConfig's zero fields take.
const (
	DefaultMaxBodySize = 8 << 20
	// MaxBodySizeLimit is the largest MaxBodySize accepted: far above any
	// reply WinRM sends, and far enough below the int64 maximum that the
	// slack added for framing, sealing and headers cannot overflow.
	MaxBodySizeLimit    = 1 << 30
	DefaultRetries      = 3
	DefaultRetryWaitMin = 250 * time.Millisecond
	DefaultRetryWaitMax = 5 * time.Second
	DefaultDialTimeout  = 30 * time.Second
	// DefaultMaxConns bounds the connections a SessionTransport keeps to
	// its host (and so the calls it runs at once).
	DefaultMaxConns = 4
	// DefaultIdleTimeout is how long a kept connection may sit idle before
	// it is closed rather than reused; Windows (HTTP.sys) drops idle
	// connections after 120 seconds.
	DefaultIdleTimeout = 60 * time.Second
	// DefaultCallTimeout bounds a call whose context has no deadline, so
	// that no read waits forever (see HTTPConfig.CallTimeout).
	DefaultCallTimeout = 5 * time.Minute
)

// soapContentType is what Windows sends and expects.
const soapContentType = "application/soap+xml;charset=UTF-8"

// Authenticator adds credentials to an HTTP request.
type Authenticator interface {
	// Scheme names the scheme for messages ("Basic").
	Scheme() string
	// Authorize adds the credentials to req.
	Authorize(req *http.Request) error
	// SendsSecretInClear reports whether the credentials cross the wire
	// readable by anyone on the path when the connection is plain HTTP.
	SendsSecretInClear() bool
}

// BasicAuth is HTTP Basic authentication. Windows allows it only for local
// accounts, and only when the service's Basic setting is on.
type BasicAuth struct {
	Username string
	Password string
}

// Scheme implements Authenticator.
func (BasicAuth) Scheme() string { return "Basic" }

// Authorize implements Authenticator.
func (b BasicAuth) Authorize(req *http.Request) error {
	req.SetBasicAuth(b.Username, b.Password)
	return nil
}

// SendsSecretInClear implements Authenticator: Basic is only base64.
func (BasicAuth) SendsSecretInClear() bool { return true }

// HTTPConfig configures an HTTPTransport.
type HTTPConfig struct {
	// URL of the service, "http://host:5985/wsman" or "https://host:5986/wsman".
	// Credentials belong in Auth, not in the URL.
	URL  string
	Auth Authenticator
	// AllowUnencrypted permits an Authenticator that sends its secret in the
	// clear over plain HTTP. Without it NewHTTPTransport refuses.
	AllowUnencrypted bool
	// TLSConfig for https URLs; nil verifies against the system roots.
	TLSConfig *tls.Config
	// MaxBodySize caps each reply body; 0 means DefaultMaxBodySize, and
	// more than MaxBodySizeLimit is an error.
	MaxBodySize int64
	// Retries is how many times a request that failed to connect is tried
	// again, and one marked idempotent (Request.Idempotent) that got 503 or
	// 429 or no reply; a request not so marked is never sent again once it
	// may have reached the service. Faults and 401 are never retried. 0
	// means DefaultRetries; a negative value turns retries off.
	Retries int
	// RetryWaitMin and RetryWaitMax bound the backoff between tries
	// (0 means DefaultRetryWaitMin / DefaultRetryWaitMax). A Retry-After
	// from the service is honoured up to RetryWaitMax.
	RetryWaitMin, RetryWaitMax time.Duration
	// DialTimeout bounds connection set-up within the call's deadline.
	DialTimeout time.Duration
	// CallTimeout bounds a call (retries included) whose context has no
	// deadline, and, for an HTTPTransport, the wait for each reply's
	// headers whatever the context says; 0 means DefaultCallTimeout.
	CallTimeout time.Duration
	// UserAgent is sent as User-Agent; empty means DefaultUserAgent().
	UserAgent string
	// Debug, if set, receives each HTTP exchange with Authorization and
	// other credential-bearing headers redacted. A SessionTransport shows
	// sealed messages as the SOAP they carry.
	Debug io.Writer
	// Proxy picks the HTTP proxy for a request; nil means
	// http.ProxyFromEnvironment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY).
	Proxy func(*http.Request) (*url.URL, error)
	// MaxConns bounds the connections a SessionTransport opens at once;
	// 0 means DefaultMaxConns.
	MaxConns int
	// IdleTimeout is how long a SessionTransport keeps an idle connection;
	// 0 means DefaultIdleTimeout.
	IdleTimeout time.Duration
}

// HTTPTransport is the Transport over HTTP(S), built on go-retryablehttp.
// It retries by the same rule as SessionTransport: a request not marked
// idempotent (Request.Idempotent) is never sent again once it may have
// reached the service, and such a failure is a *MayHaveRunError. It is
// safe for concurrent use.
type HTTPTransport struct {
	cfg     HTTPConfig
	url     string
	maxBody int64
	client  *retryablehttp.Client
}

// DefaultUserAgent returns "cimjob/<module version>", or "cimjob/dev" in a
// build without version information.
func DefaultUserAgent() string {
	const module = "github.com/cimjob/cimjob"
	version := "dev"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Path == module && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			version = bi.Main.Version
		}
		for _, d := range bi.Deps {
			if d.Path == module && d.Version != "" {
				version = d.Version
			}
		}
	}
	return "cimjob/" + version
}

// NewHTTPTransport checks cfg and returns a transport for authentication
// that goes with each request (Basic, a client certificate, or none). It
// returns an error wrapping ErrUnencrypted when cfg would send a secret in
// the clear; for NTLMAuth use NewTransport, which picks a SessionTransport.
func NewHTTPTransport(cfg HTTPConfig) (*HTTPTransport, error) {
	cfg, u, err := normalizeConfig(cfg)
	if err != nil {
		return nil, err
	}
	if _, ok := cfg.Auth.(sessionAuth); ok {
		return nil, fmt.Errorf("wsman: %s authenticates a connection, not a request: use NewTransport", cfg.Auth.Scheme())
	}
	tlsConfig, err := clientTLSConfig(cfg)
	if err != nil {
		return nil, err
	}
	base := &http.Transport{
		Proxy:               cfg.Proxy,
		DialContext:         (&net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     tlsConfig,
		TLSHandshakeTimeout: cfg.DialTimeout,
		// A service that accepts the request and never answers must not
		// hold the call beyond its bound, even under a long context.
		ResponseHeaderTimeout: cfg.CallTimeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		// WinRM speaks HTTP/1.1 only, and connection-bound auth needs it.
		ForceAttemptHTTP2: false,
	}
	var rt http.RoundTripper = base
	if cfg.Debug != nil {
		rt = newDebugTransport(base, cfg.Debug)
	}
	hc := &http.Client{
		Transport: rt,
		// Following a redirect would resend the credentials to wherever
		// it points; report it instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &HTTPTransport{
		cfg:     cfg,
		url:     u.String(),
		maxBody: cfg.MaxBodySize,
		client: &retryablehttp.Client{
			HTTPClient:   hc,
			Logger:       nil, // the library's default logger writes to stderr
			RetryWaitMin: cfg.RetryWaitMin,
			RetryWaitMax: cfg.RetryWaitMax,
			RetryMax:     cfg.Retries,
			CheckRetry:   checkRetry,
			Backoff:      backoff,
			ErrorHandler: retryablehttp.PassthroughErrorHandler,
		},
	}, nil
}

// normalizeConfig checks the URL and the authentication against it, and
// fills in defaults.
func normalizeConfig(cfg HTTPConfig) (HTTPConfig, *url.URL, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return cfg, nil, fmt.Errorf("wsman: bad service URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return cfg, nil, fmt.Errorf("wsman: service URL %q is not http or https", u.Redacted())
	}
	if u.Host == "" {
		return cfg, nil, fmt.Errorf("wsman: service URL %q has no host", u.Redacted())
	}
	if u.User != nil {
		// net/http would turn these into a Basic header behind our back.
		return cfg, nil, fmt.Errorf("wsman: service URL %q carries credentials; put them in HTTPConfig.Auth", u.Redacted())
	}
	if cfg.Auth != nil && cfg.Auth.SendsSecretInClear() && u.Scheme == "http" && !cfg.AllowUnencrypted {
		return cfg, nil, fmt.Errorf("%w: %s authentication to %s; use https or set AllowUnencrypted", ErrUnencrypted, cfg.Auth.Scheme(), u.Redacted())
	}
	if _, ok := certificateOf(cfg.Auth); ok && u.Scheme != "https" {
		return cfg, nil, fmt.Errorf("wsman: certificate authentication needs an https URL, not %s", u.Redacted())
	}
	if cfg.MaxBodySize <= 0 {
		cfg.MaxBodySize = DefaultMaxBodySize
	}
	if cfg.MaxBodySize > MaxBodySizeLimit {
		// Refused rather than clamped: the caller asked for something else.
		return cfg, nil, fmt.Errorf("wsman: MaxBodySize %d exceeds MaxBodySizeLimit (%d)", cfg.MaxBodySize, int64(MaxBodySizeLimit))
	}
	switch {
	case cfg.Retries == 0:
		cfg.Retries = DefaultRetries
	case cfg.Retries < 0:
		cfg.Retries = 0
	}
	if cfg.RetryWaitMin <= 0 {
		cfg.RetryWaitMin = DefaultRetryWaitMin
	}
	if cfg.RetryWaitMax <= 0 {
		cfg.RetryWaitMax = DefaultRetryWaitMax
	}
	cfg.RetryWaitMax = max(cfg.RetryWaitMax, cfg.RetryWaitMin)
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = DefaultCallTimeout
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent()
	}
	if cfg.Proxy == nil {
		cfg.Proxy = http.ProxyFromEnvironment
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	return cfg, u, nil
}

// clientTLSConfig is cfg.TLSConfig (or a verifying default) with the
// client certificate of a CertificateAuth added.
func clientTLSConfig(cfg HTTPConfig) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		tc = cfg.TLSConfig.Clone()
	}
	if ca, ok := certificateOf(cfg.Auth); ok {
		if len(ca.Cert.Certificate) == 0 {
			return nil, errors.New("wsman: CertificateAuth has no certificate")
		}
		tc.Certificates = append(tc.Certificates, ca.Cert)
	}
	return tc, nil
}

// RoundTrip implements Transport.
func (t *HTTPTransport) RoundTrip(ctx context.Context, envelope []byte) ([]byte, error) {
	body, _, err := t.RoundTripStatus(ctx, envelope)
	return body, err
}

// RoundTripStatus implements StatusTransport: it is RoundTrip that also
// returns the HTTP status.
func (t *HTTPTransport) RoundTripStatus(ctx context.Context, envelope []byte) ([]byte, int, error) {
	ctx, cancel := withCallDeadline(ctx, t.cfg.CallTimeout)
	defer cancel()
	ctx, attempt := withAttemptTrace(ctx)
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, t.url, envelope)
	if err != nil {
		return nil, 0, &TransportError{Op: OpSend, URL: t.url, Err: err}
	}
	req.Header.Set("Content-Type", soapContentType)
	req.Header.Set("User-Agent", t.cfg.UserAgent)
	if t.cfg.Auth != nil {
		if err := t.cfg.Auth.Authorize(req.Request); err != nil {
			return nil, 0, fmt.Errorf("wsman: %s authentication: %w", t.cfg.Auth.Scheme(), err)
		}
	}
	resp, err := t.client.Do(req)
	if err != nil {
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		op := OpSend
		if attempt.wrote.Load() {
			op = OpReply
		}
		err = t.transportError(op, err)
		if retryableConnError(ctx, err) && !mayResend(ctx, attempt.wrote.Load()) {
			err = &MayHaveRunError{Err: err}
		}
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := t.readBody(resp)
	if err != nil {
		return nil, resp.StatusCode, err
	}
	scheme := ""
	if t.cfg.Auth != nil {
		scheme = t.cfg.Auth.Scheme()
	}
	body, status, err := classifyReply(t.url, scheme, resp, body)
	if isBusy(status) && !mayResend(ctx, true) {
		err = &MayHaveRunError{Err: err}
	}
	return body, status, err
}

// withCallDeadline gives ctx the deadline d from now when it has none, so
// that a call with context.Background() cannot wait forever.
func withCallDeadline(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}

// classifyReply maps a reply to what Transport promises: the body for 200
// and for a SOAP 500, *AuthError for 401, *HTTPError otherwise.
func classifyReply(serviceURL, scheme string, resp *http.Response, body []byte) ([]byte, int, error) {
	ct := resp.Header.Get("Content-Type")
	switch {
	case resp.StatusCode == http.StatusOK:
		return body, resp.StatusCode, nil
	case resp.StatusCode == http.StatusInternalServerError && isXMLContent(ct, body):
		return body, resp.StatusCode, nil
	case resp.StatusCode == http.StatusUnauthorized:
		ae := &AuthError{URL: serviceURL, Scheme: scheme, Offered: sanitizeChallenges(resp.Header.Values("WWW-Authenticate"))}
		return nil, resp.StatusCode, ae
	}
	he := &HTTPError{URL: serviceURL, StatusCode: resp.StatusCode, Status: resp.Status, ContentType: ct, Snippet: snippet(body)}
	if isXMLContent(ct, body) {
		he.Body = body
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		he.Snippet = "redirected to " + loc
	}
	return nil, resp.StatusCode, he
}

// readBody reads at most maxBody bytes; one byte more means too large, and
// the connection is then closed rather than drained.
func (t *HTTPTransport) readBody(resp *http.Response) ([]byte, error) {
	if resp.ContentLength > t.maxBody {
		return nil, &ResponseError{Reason: fmt.Sprintf("reply of %d bytes exceeds the %d-byte limit", resp.ContentLength, t.maxBody), Err: ErrBodyTooLarge, Limit: t.maxBody}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, t.maxBody+1))
	if err != nil {
		return nil, t.transportError(OpRead, err)
	}
	if int64(len(b)) > t.maxBody {
		return nil, &ResponseError{Reason: fmt.Sprintf("reply body exceeds the %d-byte limit", t.maxBody), Err: ErrBodyTooLarge, Limit: t.maxBody}
	}
	return b, nil
}

// transportError names the phase that failed: dial, tls, or the op given.
func (t *HTTPTransport) transportError(op string, err error) error {
	return newTransportError(t.url, op, err)
}

// newTransportError names the phase that failed: dial, tls, or the op given.
func newTransportError(serviceURL, op string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var (
		netOp     *net.OpError
		verifyErr *tls.CertificateVerificationError
		recordErr tls.RecordHeaderError
		alertErr  tls.AlertError
		authority x509.UnknownAuthorityError
		hostname  x509.HostnameError
	)
	switch {
	case errors.As(err, &verifyErr), errors.As(err, &recordErr), errors.As(err, &alertErr),
		errors.As(err, &authority), errors.As(err, &hostname):
		op = OpTLS
	case errors.As(err, &netOp) && netOp.Op == "dial":
		op = OpDial
	}
	return &TransportError{Op: op, URL: serviceURL, Err: err}
}

// isXMLContent reports whether a reply is SOAP: by its Content-Type, or,
// when it has none, by its first byte.
func isXMLContent(contentType string, body []byte) bool {
	ct := strings.ToLower(contentType)
	if strings.Contains(ct, "xml") {
		return true
	}
	head := bytes.TrimSpace(body[:min(len(body), 64)])
	return ct == "" && len(head) > 0 && head[0] == '<'
}

// snippet returns the start of a body as printable text, for messages.
func snippet(body []byte) string {
	const n = 200
	s := string(body[:min(len(body), n)])
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return ' '
		}
		return r
	}, s)
	s = oneLine(s)
	if len(body) > n {
		s += " ..."
	}
	return s
}

// sanitizeChallenges keeps the scheme and realm of each WWW-Authenticate
// challenge and drops token data (a Negotiate or NTLM blob), which can
// carry session material.
func sanitizeChallenges(values []string) []string {
	var out []string
	for _, v := range values {
		for _, piece := range strings.Split(v, ",") {
			fields := strings.Fields(piece)
			if len(fields) == 0 {
				continue
			}
			if strings.Contains(fields[0], "=") {
				// An auth-param of the previous challenge.
				if len(out) > 0 && isRealm(fields[0]) {
					out[len(out)-1] += ", " + strings.TrimSpace(piece)
				}
				continue
			}
			c := fields[0]
			if len(fields) > 1 && isRealm(fields[1]) {
				c += " " + strings.Join(fields[1:], " ")
			}
			out = append(out, c)
		}
	}
	return out
}

func isRealm(param string) bool {
	return strings.HasPrefix(strings.ToLower(param), "realm=")
}

// attemptState follows one call's attempts for checkRetry: whether the
// request of the current attempt may have reached the service.
type attemptState struct {
	// wrote is set once the headers are written, not only once the whole
	// request is: net/http reports WroteRequest from its writer goroutine,
	// which can lag behind the reader seeing the service close the
	// connection after running the request.
	wrote atomic.Bool
}

type attemptKey struct{}

// withAttemptTrace attaches an httptrace that records, per attempt,
// whether the request reached the wire.
func withAttemptTrace(ctx context.Context) (context.Context, *attemptState) {
	st := &attemptState{}
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GetConn:      func(string) { st.wrote.Store(false) },
		WroteHeaders: func() { st.wrote.Store(true) },
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				st.wrote.Store(true)
			}
		},
	})
	return context.WithValue(ctx, attemptKey{}, st), st
}
