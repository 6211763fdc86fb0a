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

	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/internal/termtext"
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

// HTTPTransport is the Transport over HTTP(S), built on go-retryablehttp.
// It retries by the same rule as SessionTransport: a request not marked
// idempotent (Request.Idempotent) is never sent again once it may have
// reached the service, and such a failure is a *MayHaveRunError. It is
// safe for concurrent use.
type HTTPTransport struct {
	cfg     Config
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

// newHTTPTransport returns a transport for authentication that goes with
// each request (Basic, a client certificate, or none); cfg has its
// defaults.
func newHTTPTransport(cfg Config, u *url.URL) (*HTTPTransport, error) {
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
		maxBody: cfg.Limits.MaxBytes,
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

// clientTLSConfig is cfg.TLSConfig (or a verifying default) with the
// client certificate of a CertificateAuth added.
func clientTLSConfig(cfg Config) (*tls.Config, error) {
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

// Close implements Transport: it closes the idle connections. The
// transport still works afterwards.
func (t *HTTPTransport) Close() error {
	t.client.HTTPClient.CloseIdleConnections()
	return nil
}

// RoundTrip implements Transport.
func (t *HTTPTransport) RoundTrip(ctx context.Context, envelope []byte) (*Reply, error) {
	ctx, cancel := withCallDeadline(ctx, t.cfg.CallTimeout)
	defer cancel()
	ctx, attempt := withAttemptTrace(ctx)
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, t.url, envelope)
	if err != nil {
		return nil, &TransportError{Op: OpSend, URL: t.url, Err: err}
	}
	req.Header.Set("Content-Type", soapContentType)
	req.Header.Set("User-Agent", t.cfg.UserAgent)
	if t.cfg.Auth != nil {
		if err := t.cfg.Auth.Authorize(req.Request); err != nil {
			return nil, fmt.Errorf("wsman: %s authentication: %w", t.cfg.Auth.Scheme(), err)
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
		return nil, err
	}
	defer resp.Body.Close()
	body, err := t.readBody(resp)
	if err != nil {
		return nil, err
	}
	scheme := ""
	if t.cfg.Auth != nil {
		scheme = t.cfg.Auth.Scheme()
	}
	body, status, err := classifyReply(t.url, scheme, resp, body)
	if isBusy(status) && !mayResend(ctx, true) {
		err = &MayHaveRunError{Err: err}
	}
	if err != nil {
		return nil, err
	}
	return &Reply{Body: body, Status: status}, nil
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
		return nil, &ResponseError{Reason: fmt.Sprintf("reply of %d bytes exceeds the %d-byte limit", resp.ContentLength, t.maxBody), Err: cim.ErrTooLarge, Limit: t.maxBody}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, t.maxBody+1))
	if err != nil {
		return nil, t.transportError(OpRead, err)
	}
	if int64(len(b)) > t.maxBody {
		return nil, &ResponseError{Reason: fmt.Sprintf("reply body exceeds the %d-byte limit", t.maxBody), Err: cim.ErrTooLarge, Limit: t.maxBody}
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
	s = termtext.OneLine(s)
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
