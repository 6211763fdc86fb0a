package wsman

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/internal/ntlm"
)

func newSession(t *testing.T, cfg Config) *SessionTransport {
	t.Helper()
	tr, err := NewTransport(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr.(*SessionTransport)
}

// invokeGetError calls GetError, which changes nothing, marked idempotent
// as cim/job marks it.
func invokeGetError(ctx context.Context, c *Client) error {
	r := NewInvoke(jobURI, "GetError", []Selector{{"InstanceID", "J1"}}, nil)
	r.Idempotent = true
	out, err := c.InvokeRequest(ctx, r)
	if err != nil {
		return err
	}
	if rv, err := out.ReturnValue(); err != nil || rv != 0 {
		return errors.New("bad ReturnValue")
	}
	return nil
}

func TestSessionSealedOneHandshakePerConnection(t *testing.T) {
	s, hs := startNTLMServer(t, false, false)
	tr := newSession(t, ntlmConfig(hs, ntlmPassword))
	c := testClient(tr, hs.URL+"/wsman")
	const calls = 100
	callN(t, c, calls)
	// One connection, one handshake (two legs), then one request a call.
	wantCounts(t, s, 1, 1, calls+2)
	if got := s.conns[0].sealed; got != calls {
		t.Errorf("%d sealed messages, want %d", got, calls)
	}
}

func TestSessionConcurrentCalls(t *testing.T) {
	s, hs := startNTLMServer(t, false, false)
	cfg := ntlmConfig(hs, ntlmPassword)
	cfg.MaxConns = 3
	tr := newSession(t, cfg)
	c := testClient(tr, hs.URL+"/wsman")
	const workers, each = 6, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				errs <- invokeGetError(context.Background(), c)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	conns, _, requests := s.counts()
	if conns < 1 || conns > cfg.MaxConns {
		t.Errorf("%d connections, want 1..%d", conns, cfg.MaxConns)
	}
	for i, h := range s.perConn() {
		if h != 1 {
			t.Errorf("connection %d made %d handshakes, want 1", i, h)
		}
	}
	if want := workers*each + 2*conns; requests != want {
		t.Errorf("%d requests, want %d", requests, want)
	}
}

func TestSessionWrongPassword(t *testing.T) {
	s, hs := startNTLMServer(t, false, false)
	tr := newSession(t, ntlmConfig(hs, "wrong"))
	err := invokeGetError(context.Background(), testClient(tr, hs.URL+"/wsman"))
	var ae *AuthError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "authentication failed") {
		t.Fatalf("err = %v, want an *AuthError saying authentication failed", err)
	}
	if ae.Scheme != "NTLM" || !strings.Contains(strings.Join(ae.Offered, ","), "Negotiate") {
		t.Errorf("AuthError = %+v", ae)
	}
	if _, _, requests := s.counts(); requests != 2 || s.rejects != 1 {
		t.Errorf("%d requests, %d rejections; want 2 and 1 (no retry)", requests, s.rejects)
	}
}

func TestSessionServerClosesKeptConnection(t *testing.T) {
	for _, how := range []string{"silently", "with Connection: close"} {
		t.Run(how, func(t *testing.T) {
			s, hs := startNTLMServer(t, false, false)
			if how != "silently" {
				s.intercept = func(at seen, w http.ResponseWriter, r *http.Request) bool {
					if at.n == 3 {
						w.Header().Set("Connection", "close")
					}
					return false
				}
			}
			closed := make(chan struct{}, 1)
			tr := newSession(t, ntlmConfig(hs, ntlmPassword))
			tr.onIdleClosed = func() { closed <- struct{}{} }
			c := testClient(tr, hs.URL+"/wsman")
			if err := invokeGetError(context.Background(), c); err != nil {
				t.Fatal(err)
			}
			if how == "silently" {
				s.mu.Lock()
				s.conns[0].nc.Close()
				s.mu.Unlock()
				<-closed // the idle watcher saw it go
			}
			if err := invokeGetError(context.Background(), c); err != nil {
				t.Fatalf("after the close: %v", err)
			}
			wantCounts(t, s, 2, 2, 6)
		})
	}
}

// isSealedMessage reports whether r carries a sealed envelope.
func isSealedMessage(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/encrypted")
}

func TestSessionContextDropped(t *testing.T) {
	s, hs := startNTLMServer(t, false, false)
	// The second sealed message on the first connection is refused as if
	// the service had forgotten the context.
	s.intercept = func(at seen, w http.ResponseWriter, r *http.Request) bool {
		if isSealedMessage(r) && at.firstConn && at.sealed == 1 {
			unauthorized(w, "")
			return true
		}
		return false
	}
	tr := newSession(t, ntlmConfig(hs, ntlmPassword))
	c := testClient(tr, hs.URL+"/wsman")
	callN(t, c, 2)
	wantCounts(t, s, 2, 2, 2+1+1+2+1)
}

func TestSession401AfterHandshakeNoStorm(t *testing.T) {
	s, hs := startNTLMServer(t, false, false)
	s.intercept = func(at seen, w http.ResponseWriter, r *http.Request) bool {
		if isSealedMessage(r) {
			unauthorized(w, "")
			return true
		}
		return false
	}
	tr := newSession(t, ntlmConfig(hs, ntlmPassword))
	c := testClient(tr, hs.URL+"/wsman")
	for i := 0; i < 2; i++ {
		err := invokeGetError(context.Background(), c)
		var ae *AuthError
		if !errors.As(err, &ae) || !strings.Contains(err.Error(), "authentication failed") {
			t.Fatalf("call %d: err = %v, want *AuthError", i, err)
		}
	}
	// Each call: a handshake and the refused message, nothing more.
	if _, _, requests := s.counts(); requests != 6 {
		t.Errorf("%d requests, want 6", requests)
	}
}

func TestSessionHungServer(t *testing.T) {
	s, hs := startNTLMServer(t, false, false)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	s.intercept = func(at seen, w http.ResponseWriter, r *http.Request) bool {
		if isSealedMessage(r) {
			<-release
			return true
		}
		return false
	}
	tr := newSession(t, ntlmConfig(hs, ntlmPassword))
	c := testClient(tr, hs.URL+"/wsman")

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := invokeGetError(ctx, c)
	var te *TransportError
	if !errors.As(err, &te) || !te.Timeout() {
		t.Fatalf("err = %v, want a timed-out *TransportError", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	go func() {
		// Cancel once the request is in the server's hands.
		for {
			if _, _, n := s.counts(); n >= 6 {
				cancel()
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	err = invokeGetError(ctx, c)
	if !errors.As(err, &te) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want a cancelled *TransportError", err)
	}
	// Neither was resent: the envelope had been written.
	if _, _, requests := s.counts(); requests != 6 {
		t.Errorf("%d requests, want 6 (two handshakes, two messages)", requests)
	}
}

func TestSessionUnsealedReply(t *testing.T) {
	s, hs := startNTLMServer(t, false, false)
	s.afterReply = func(c *srvConn, sealed []byte) ([]byte, string) {
		return []byte(soapOK), soapContentType
	}
	tr := newSession(t, ntlmConfig(hs, ntlmPassword))
	err := invokeGetError(context.Background(), testClient(tr, hs.URL+"/wsman"))
	var re *ResponseError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "not sealed") {
		t.Fatalf("err = %v, want a *ResponseError about an unsealed reply", err)
	}
}

func TestSessionTamperedReply(t *testing.T) {
	s, hs := startNTLMServer(t, false, false)
	s.afterReply = func(c *srvConn, sealed []byte) ([]byte, string) {
		b := bytes.Clone(sealed)
		b[len(b)-30] ^= 1 // inside the sealed data
		return b, "multipart/encrypted;protocol=\"application/HTTP-SPNEGO-session-encrypted\";boundary=\"Encrypted Boundary\""
	}
	tr := newSession(t, ntlmConfig(hs, ntlmPassword))
	err := invokeGetError(context.Background(), testClient(tr, hs.URL+"/wsman"))
	var re *ResponseError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "does not unseal") {
		t.Fatalf("err = %v, want a *ResponseError", err)
	}
}

func TestSessionOversizedSealedReply(t *testing.T) {
	s, hs := startNTLMServer(t, false, false)
	big := "<p:GetError_OUTPUT xmlns:p=\"" + jobURI + "\"><p:Error>" + strings.Repeat("x", 64<<10) + "</p:Error><p:ReturnValue>0</p:ReturnValue></p:GetError_OUTPUT>"
	s.fake = &fakeService{reply: func(*etree.Element, string) string { return big }}
	cfg := ntlmConfig(hs, ntlmPassword)
	cfg.Limits.MaxBytes = 1024
	tr := newSession(t, cfg)
	err := invokeGetError(context.Background(), testClient(tr, hs.URL+"/wsman"))
	var re *ResponseError
	if !errors.As(err, &re) || !errors.Is(err, cim.ErrTooLarge) {
		t.Fatalf("err = %v, want cim.ErrTooLarge", err)
	}
}

func TestSessionBusyRetriedWhole(t *testing.T) {
	s, hs := startNTLMServer(t, false, false)
	s.intercept = func(at seen, w http.ResponseWriter, r *http.Request) bool {
		if isSealedMessage(r) && at.firstConn {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	}
	tr := newSession(t, ntlmConfig(hs, ntlmPassword))
	if err := invokeGetError(context.Background(), testClient(tr, hs.URL+"/wsman")); err != nil {
		t.Fatal(err)
	}
	// The retry went on a fresh, re-authenticated connection.
	wantCounts(t, s, 2, 2, 6)
}

func TestSessionFaultNotRetried(t *testing.T) {
	s, hs := startNTLMServer(t, false, false)
	s.fake = &fakeService{status: 500, reply: func(*etree.Element, string) string {
		return string(readTestdata(t, "fault_minimal.xml"))
	}}
	tr := newSession(t, ntlmConfig(hs, ntlmPassword))
	err := invokeGetError(context.Background(), testClient(tr, hs.URL+"/wsman"))
	var f *Fault
	if !errors.As(err, &f) || f.HTTPStatus != 500 {
		t.Fatalf("err = %v, want a *Fault with HTTP 500", err)
	}
	if _, _, requests := s.counts(); requests != 3 {
		t.Errorf("%d requests, want 3", requests)
	}
}

func TestSessionConnectionFailuresRetried(t *testing.T) {
	// A service that accepts connections and drops them at once: nothing
	// was sent but a handshake leg, so each attempt is safe to repeat.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	accepted := 0
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			accepted++
			mu.Unlock()
			c.Close()
		}
	}()
	cfg := fastConfig("http://" + ln.Addr().String() + "/wsman")
	cfg.Auth, cfg.Proxy = NTLMAuth{Username: ntlmUser, Password: ntlmPassword}, noProxy
	tr := newSession(t, cfg)
	_, err = tr.RoundTrip(context.Background(), []byte("<env/>"))
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want *TransportError", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if accepted != cfg.Retries+1 {
		t.Errorf("%d connections, want %d", accepted, cfg.Retries+1)
	}
}

func TestSessionHTTPSWithChannelBinding(t *testing.T) {
	s, hs := startNTLMServer(t, true, true)
	tr := newSession(t, ntlmConfig(hs, ntlmPassword))
	c := testClient(tr, hs.URL+"/wsman")
	const calls = 5
	callN(t, c, calls)
	// The NEGOTIATE leg, then the AUTHENTICATE leg carrying the first
	// envelope, then one request a call.
	wantCounts(t, s, 1, 1, calls+1)

	// A server that expects other bindings (a TLS-terminating middlebox)
	// refuses the handshake.
	s2, hs2 := startNTLMServer(t, true, false)
	s2.bindings = &ntlm.ChannelBindings{ApplicationData: []byte("tls-server-end-point:elsewhere")}
	tr2 := newSession(t, ntlmConfig(hs2, ntlmPassword))
	err := invokeGetError(context.Background(), testClient(tr2, hs2.URL+"/wsman"))
	var ae *AuthError
	if !errors.As(err, &ae) || s2.rejects != 1 {
		t.Fatalf("err = %v (rejects %d), want *AuthError", err, s2.rejects)
	}
}

func TestSessionDebugShowsSOAPNotSecrets(t *testing.T) {
	s, hs := startNTLMServer(t, false, false)
	var log bytes.Buffer
	cfg := ntlmConfig(hs, ntlmPassword)
	cfg.Debug = &syncWriter{w: &log}
	tr := newSession(t, cfg)
	c := testClient(tr, hs.URL+"/wsman")
	for i := 0; i < 2; i++ {
		if err := invokeGetError(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	out := log.String()
	for _, want := range []string{
		"Authorization: Negotiate [redacted]",
		"Www-Authenticate: Negotiate [token redacted]",
		"<w:ResourceURI",  // the request envelope, before sealing
		"GetError_OUTPUT", // the reply, after unsealing
		"[sealed on the wire:",
		"[unsealed]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("debug output lacks %q:\n%s", want, out)
		}
	}
	s.mu.Lock()
	secrets := append([]string{ntlmPassword}, s.tokens...)
	s.mu.Unlock()
	if len(secrets) != 4 {
		t.Fatalf("server saw %d tokens, want 3", len(secrets)-1)
	}
	for _, secret := range secrets {
		// Any long piece of a token would be a leak too.
		for _, piece := range []string{secret, secret[:min(len(secret), 16)]} {
			if strings.Contains(out, piece) {
				t.Errorf("debug output contains %q", piece)
			}
		}
	}
}

// syncWriter serialises writes for tests that read the log afterwards.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// wantCounts checks the server's connections, handshakes and requests.
func wantCounts(t *testing.T, s *ntlmServer, conns, handshakes, requests int) {
	t.Helper()
	c, h, r := s.counts()
	if c != conns || h != handshakes || r != requests {
		t.Errorf("%d connections, %d handshakes, %d requests; want %d, %d, %d", c, h, r, conns, handshakes, requests)
	}
}

// callN makes n GetError calls, which must all succeed.
func callN(t *testing.T, c *Client, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if err := invokeGetError(context.Background(), c); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
}

func TestSessionUntrustedCertificate(t *testing.T) {
	s, hs := startNTLMServer(t, true, false)
	cfg := ntlmConfig(hs, ntlmPassword)
	cfg.TLSConfig = nil // the system roots do not know the test server
	_, err := newSession(t, cfg).RoundTrip(context.Background(), []byte("<env/>"))
	var te *TransportError
	if !errors.As(err, &te) || te.Op != "tls" {
		t.Fatalf("err = %v, want a tls *TransportError", err)
	}
	if conns, _, _ := s.counts(); conns != 1 {
		t.Errorf("%d connections, want 1 (a bad certificate is not retried)", conns)
	}
}

func TestSessionClose(t *testing.T) {
	s, hs := startNTLMServer(t, false, false)
	tr := newSession(t, ntlmConfig(hs, ntlmPassword))
	c := testClient(tr, hs.URL+"/wsman")
	callN(t, c, 1)
	tr.Close()
	// Still usable, but each call now needs its own connection.
	callN(t, c, 2)
	wantCounts(t, s, 3, 3, 9)
}

func TestChallengeToken(t *testing.T) {
	tests := []struct {
		values []string
		want   string
		err    bool
	}{
		{[]string{"Negotiate TlRMTVNTUAAC"}, "NTLMSSP\x00\x02", false},
		{[]string{"Negotiate", `Basic realm="WSMAN"`}, "", false},
		{[]string{`Basic realm="WSMAN", Negotiate TlRMTVNTUAAC`}, "NTLMSSP\x00\x02", false},
		{[]string{"negotiate TlRMTVNTUAAC"}, "NTLMSSP\x00\x02", false},
		{[]string{"Kerberos TlRMTVNTUAAC"}, "", false},
		{[]string{"Negotiate !!!"}, "", true},
		{nil, "", false},
	}
	for _, tt := range tests {
		got, err := challengeToken(http.Header{"Www-Authenticate": tt.values}, "Negotiate")
		if string(got) != tt.want || (err != nil) != tt.err {
			t.Errorf("%q: %q, %v", tt.values, got, err)
		}
	}
}

func FuzzChallengeToken(f *testing.F) {
	for _, seed := range []string{"Negotiate TlRMTVNTUAAC", `Negotiate, Basic realm="x"`, "Negotiate =", "Negotiate a,b"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		b, err := challengeToken(http.Header{"Www-Authenticate": {v}}, "Negotiate")
		if err != nil && b != nil {
			t.Errorf("token and error both returned for %q", v)
		}
		if len(b) > len(v) {
			t.Errorf("token of %d bytes from a %d-byte header", len(b), len(v))
		}
	})
}
