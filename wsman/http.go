package wsman

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"time"
)

// DefaultMaxBodySize caps a reply body when HTTPConfig.MaxBodySize is zero.
const DefaultMaxBodySize = 8 << 20

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

// HTTPConfig configures an HTTPTransport.
type HTTPConfig struct {
	// URL of the service, "http://host:5985/wsman" or "https://host:5986/wsman".
	URL  string
	Auth Authenticator
	// AllowUnencrypted permits an Authenticator that sends its secret in the
	// clear over plain HTTP. Without it NewHTTPTransport refuses.
	AllowUnencrypted bool
	// TLSConfig for https URLs; nil verifies against the system roots.
	TLSConfig *tls.Config
	// MaxBodySize caps each reply body; 0 means DefaultMaxBodySize.
	MaxBodySize int64
	// Retries is how many times a request that failed to connect, or got 503
	// or 429, is tried again. Faults and 401 are never retried.
	Retries int
	// RetryWaitMin and RetryWaitMax bound the backoff between tries.
	RetryWaitMin, RetryWaitMax time.Duration
	// DialTimeout bounds connection set-up within the call's deadline.
	DialTimeout time.Duration
	// Debug, if set, receives each HTTP exchange with Authorization and
	// other credential-bearing headers redacted.
	Debug io.Writer
}

// HTTPTransport is the Transport over HTTP(S), built on go-retryablehttp.
type HTTPTransport struct {
	cfg HTTPConfig
}

// NewHTTPTransport checks cfg and returns a transport. It returns an error
// wrapping ErrUnencrypted when cfg would send a secret in the clear.
func NewHTTPTransport(cfg HTTPConfig) (*HTTPTransport, error) {
	panic("unimplemented: owned by the wsman helper")
}

// RoundTrip implements Transport.
func (t *HTTPTransport) RoundTrip(ctx context.Context, envelope []byte) ([]byte, error) {
	panic("unimplemented: owned by the wsman helper")
}
