package wsman

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"

	"github.com/cimjob/cimjob/internal/ntlm"
)

// maxProxyReply bounds the proxy's answer to CONNECT.
const maxProxyReply = 64 << 10

// ProxyError reports that the HTTP proxy refused or broke the tunnel to
// the service.
type ProxyError struct {
	Proxy  string // the proxy's address, without credentials
	Status string // the proxy's status line, when it sent one
	Err    error
}

func (e *ProxyError) Unwrap() error { return e.Err }

func (e *ProxyError) Error() string {
	if e.Status != "" {
		return fmt.Sprintf("proxy %s refused the tunnel: %s", e.Proxy, e.Status)
	}
	return fmt.Sprintf("proxy %s: %v", e.Proxy, e.Err)
}

// dialed is a fresh connection to the service, ready for HTTP.
type dialed struct {
	conn net.Conn
	// proxy is set when requests go to a forward proxy in absolute form
	// (an http service behind an HTTP proxy).
	proxy *url.URL
	// bindings are the TLS channel bindings of the service's certificate.
	bindings *ntlm.ChannelBindings
}

// dial opens one connection to the service: directly or through the
// proxy cfg.Proxy names (CONNECT for https services, absolute-form
// requests for http ones), then TLS for https.
func (t *SessionTransport) dial(ctx context.Context) (*dialed, error) {
	target := hostPort(t.url)
	proxy, err := t.cfg.Proxy(&http.Request{Method: http.MethodPost, URL: t.url, Header: http.Header{}, Host: t.url.Host})
	if err != nil {
		return nil, &ProxyError{Proxy: "(from the environment)", Err: err}
	}
	addr := target
	if proxy != nil {
		if proxy.Scheme != "http" {
			// CONNECT inside TLS to the proxy, or SOCKS, is not built.
			return nil, &ProxyError{Proxy: proxy.Redacted(), Err: fmt.Errorf("proxy scheme %q is not supported (http only)", proxy.Scheme)}
		}
		addr = hostPort(proxy)
	}
	d := net.Dialer{Timeout: t.cfg.DialTimeout, KeepAlive: DefaultIdleTimeout / 2}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	out := &dialed{conn: conn}
	if t.url.Scheme == "http" {
		out.proxy = proxy
		return out, nil
	}
	if proxy != nil {
		if err := connectTunnel(ctx, conn, proxy, target); err != nil {
			conn.Close()
			return nil, err
		}
	}
	tc := t.tls.Clone()
	if tc.ServerName == "" {
		tc.ServerName = t.url.Hostname()
	}
	tlsConn := tls.Client(conn, tc)
	if err := tlsConn.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	if certs := tlsConn.ConnectionState().PeerCertificates; len(certs) > 0 {
		out.bindings = ntlm.TLSServerEndPoint(certs[0])
	}
	out.conn = tlsConn
	return out, nil
}

// connectTunnel asks an HTTP proxy for a tunnel to target.
func connectTunnel(ctx context.Context, conn net.Conn, proxy *url.URL, target string) error {
	stop := abortOnDone(ctx, conn)
	defer stop()
	req := &http.Request{
		Method: http.MethodConnect,
		URL:    &url.URL{Opaque: target},
		Host:   target,
		Header: http.Header{},
	}
	if auth := proxyAuthorization(proxy); auth != "" {
		req.Header.Set("Proxy-Authorization", auth)
	}
	if err := req.Write(conn); err != nil {
		return &ProxyError{Proxy: proxy.Redacted(), Err: err}
	}
	// Read byte by byte bounded: nothing after the reply's head may be
	// swallowed, as it belongs to the TLS handshake.
	br := bufio.NewReaderSize(io.LimitReader(oneByteReader{conn}, maxProxyReply), 1)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &ProxyError{Proxy: proxy.Redacted(), Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		return &ProxyError{Proxy: proxy.Redacted(), Status: resp.Status}
	}
	return nil
}

// oneByteReader reads one byte at a time, so that a bufio.Reader over it
// never reads ahead of what it returns.
type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}

// proxyAuthorization is the Basic credential of a proxy URL's user info.
func proxyAuthorization(proxy *url.URL) string {
	if proxy == nil || proxy.User == nil {
		return ""
	}
	pw, _ := proxy.User.Password()
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(proxy.User.Username()+":"+pw))
}

// hostPort is u's host with the scheme's default port when it has none.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	port := "80"
	if u.Scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// abortOnDone makes blocked I/O on conn fail as soon as ctx is done, and
// bounds it by ctx's deadline; stop undoes both and reports whether ctx
// struck (the connection is then unusable).
func abortOnDone(ctx context.Context, conn net.Conn) (stop func() bool) {
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stopAfter := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(aLongTimeAgo) })
	var once sync.Once
	var struck bool
	return func() bool {
		once.Do(func() {
			struck = !stopAfter() || ctx.Err() != nil
			_ = conn.SetDeadline(noDeadline)
		})
		return struck
	}
}

var errUnsolicited = errors.New("wsman: the service sent data nobody asked for")
