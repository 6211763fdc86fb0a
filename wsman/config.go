package wsman

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/cimjob/cimjob/cim"
)

// Defaults Config's zero fields take. The cimjob CLI uses them too, so a
// library user on the zero Config gets what the CLI does.
const (
	// MaxReplyBytesLimit is the largest Limits.MaxBytes accepted: far
	// above any reply WinRM sends, and far enough below the int64 maximum
	// that the slack added for framing, sealing and headers cannot
	// overflow.
	MaxReplyBytesLimit = 1 << 30
	// MinReplyBytesLimit is the smallest reply cap a user may set: below
	// it even a fault does not fit, so a smaller one can only be a
	// mistake. The CLI's --max-response-bytes and the exporter's
	// max_response_bytes refuse less; NewClient accepts it, since tests
	// use a tiny cap to reach the too-large paths.
	MinReplyBytesLimit = 4 << 10

	DefaultRetries      = 2
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
	// that no read waits forever (see Config.CallTimeout).
	DefaultCallTimeout      = 5 * time.Minute
	DefaultMaxEnvelopeSize  = 153600
	DefaultOperationTimeout = 60 * time.Second
	DefaultLocale           = "en-US"
	DefaultMaxPulls         = 10000
	// ReplyGrace is how much longer than the OperationTimeout it sent the
	// Client waits, when the caller set no deadline, for the reply to
	// cross the network.
	ReplyGrace = 30 * time.Second
)

// Config describes a Client: where the service is, how to authenticate,
// and the bounds of every call. Each setting is given once; the zero value
// of a field means its default.
type Config struct {
	// URL of the service, "http://host:5985/wsman" or
	// "https://host:5986/wsman"; it is also sent as wsa:To. Credentials
	// belong in Auth, not in the URL.
	URL string
	// Auth is NTLMAuth, KerberosAuth (a SessionTransport), BasicAuth,
	// CertificateAuth (an HTTPTransport), or nil for none.
	Auth Authenticator
	// AllowUnencrypted permits an Authenticator that sends its secret in the
	// clear over plain HTTP. Without it NewClient refuses with an error
	// wrapping ErrUnencrypted.
	AllowUnencrypted bool
	// TLSConfig for https URLs; nil verifies against the system roots.
	TLSConfig *tls.Config
	// Limits bounds every reply: Limits.MaxBytes caps each reply body as
	// read from the network (and, sealed, once unsealed) and each document
	// parsed from it; the other fields bound the parsing. Zero fields take
	// cim.DefaultLimits; a MaxBytes above MaxReplyBytesLimit is an error.
	Limits cim.Limits
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

	// MaxEnvelopeSize is sent as wsman:MaxEnvelopeSize; 0 means
	// DefaultMaxEnvelopeSize.
	MaxEnvelopeSize int
	// Locale is sent as wsman:Locale and DataLocale; empty means
	// DefaultLocale.
	Locale string
	// OperationTimeout is sent when the context has no deadline, and the
	// call is then given OperationTimeout + ReplyGrace as its deadline, so
	// that no call waits forever; with a deadline, the time left (less a
	// margin for the reply) is sent. 0 means DefaultOperationTimeout.
	OperationTimeout time.Duration
	// MaxPulls bounds the Pull requests of one Enumerate, so that a service
	// that never says EndOfSequence cannot keep the client pulling; 0 means
	// DefaultMaxPulls.
	MaxPulls int
	// NewMessageID makes MessageIDs; nil means random "uuid:" IDs
	// (NewMessageID). Tests set it.
	NewMessageID func() string

	// Transport, if set, carries the envelopes instead of the one
	// NewTransport would build: the fields from Auth to IdleTimeout then
	// go unused (Limits still bounds the parsing of replies). Tests and an
	// in-process service plug in here. Client.Close closes it.
	Transport Transport
}

// withDefaults checks the URL and the authentication against it, and
// fills in defaults.
func (cfg Config) withDefaults() (Config, *url.URL, error) {
	u, err := checkURL(cfg.URL)
	if err != nil {
		return cfg, nil, err
	}
	if cfg.Auth != nil && cfg.Auth.SendsSecretInClear() && u.Scheme == "http" && !cfg.AllowUnencrypted {
		return cfg, nil, fmt.Errorf("%w: %s authentication to %s; use https or set AllowUnencrypted", ErrUnencrypted, cfg.Auth.Scheme(), u.Redacted())
	}
	if _, ok := certificateOf(cfg.Auth); ok && u.Scheme != "https" {
		return cfg, nil, fmt.Errorf("wsman: certificate authentication needs an https URL, not %s", u.Redacted())
	}
	if cfg.Limits.MaxBytes > MaxReplyBytesLimit {
		// Refused rather than clamped: the caller asked for something else.
		return cfg, nil, fmt.Errorf("wsman: Limits.MaxBytes %d exceeds MaxReplyBytesLimit (%d)", cfg.Limits.MaxBytes, int64(MaxReplyBytesLimit))
	}
	cfg.Limits = cfg.Limits.WithDefaults()
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
	if cfg.MaxEnvelopeSize <= 0 {
		cfg.MaxEnvelopeSize = DefaultMaxEnvelopeSize
	}
	if cfg.Locale == "" {
		cfg.Locale = DefaultLocale
	}
	if cfg.OperationTimeout <= 0 {
		cfg.OperationTimeout = DefaultOperationTimeout
	}
	if cfg.MaxPulls <= 0 {
		cfg.MaxPulls = DefaultMaxPulls
	}
	if cfg.NewMessageID == nil {
		cfg.NewMessageID = NewMessageID
	}
	return cfg, u, nil
}

// checkURL accepts an http or https URL with a host and no credentials.
func checkURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("wsman: bad service URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("wsman: service URL %q is not http or https", u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("wsman: service URL %q has no host", u.Redacted())
	}
	if u.User != nil {
		// net/http would turn these into a Basic header behind our back.
		return nil, fmt.Errorf("wsman: service URL %q carries credentials; put them in Config.Auth", u.Redacted())
	}
	return u, nil
}

// NewTransport returns the transport cfg.Auth needs: a SessionTransport
// for NTLMAuth and KerberosAuth, an HTTPTransport for BasicAuth,
// CertificateAuth or none. NewClient calls it; call it directly to wrap
// the transport (metrics, recording) and give it back in Config.Transport.
// It returns an error wrapping ErrUnencrypted when cfg would send a secret
// in the clear.
func NewTransport(cfg Config) (Transport, error) {
	cfg, u, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if _, ok := cfg.Auth.(sessionAuth); ok {
		return newSessionTransport(cfg, u)
	}
	return newHTTPTransport(cfg, u)
}
