package wsman

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/cimjob/cimjob/internal/gss"
	"github.com/cimjob/cimjob/internal/msgenc"
	"github.com/cimjob/cimjob/internal/ntlm"
)

// A loopback WinRM endpoint for the SessionTransport tests: NTLM in the
// Negotiate scheme with one security context per TCP connection, then,
// over plain HTTP, every message sealed (AllowUnencrypted=false), as an
// untouched Windows host behaves. It counts connections, handshakes and
// requests, so tests can hold the client to one handshake per connection
// and one request per call.

const (
	ntlmUser     = `LAB\wsadmin`
	ntlmPassword = "Sekr1t-Pässwort"
)

// srvConn is the server's state for one TCP connection.
type srvConn struct {
	nc         net.Conn
	acceptor   gss.Acceptor
	sec        gss.Acceptor // established context
	handshakes int
	sealed     int
}

type srvConnKey struct{}

// seen is what an intercept knows of a request: its number among all
// requests (from 1), whether it came on the first connection, and how many
// messages that connection carried before.
type seen struct {
	n         int
	firstConn bool
	sealed    int
}

// ntlmServer answers with fake: the SOAP service behind the security layer.
type ntlmServer struct {
	t     *testing.T
	fake  *fakeService
	https bool
	// bindings, when set, are required in the AUTHENTICATE (EPA).
	bindings *ntlm.ChannelBindings
	// newAcceptor, when set, replaces NTLM (Kerberos tests).
	newAcceptor func() gss.Acceptor

	mu       sync.Mutex
	conns    []*srvConn
	requests int      // every HTTP request, handshake legs included
	rejects  int      // AUTHENTICATE messages refused
	tokens   []string // every token either side sent, base64, for the debug test

	// Misbehaviour, for the tests that need it: intercept sees each
	// request and may take over the reply.
	intercept func(at seen, w http.ResponseWriter, r *http.Request) bool
	// afterReply, when set, may change the sealed reply body.
	afterReply func(c *srvConn, sealed []byte) ([]byte, string)
}

func (s *ntlmServer) lookup(domain, user string) (string, bool) {
	if strings.EqualFold(domain+`\`+user, ntlmUser) {
		return ntlmPassword, true
	}
	return "", false
}

func (s *ntlmServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := r.Context().Value(srvConnKey{}).(*srvConn)
	s.mu.Lock()
	s.requests++
	at := seen{n: s.requests, firstConn: c == s.conns[0], sealed: c.sealed}
	intercept := s.intercept
	s.mu.Unlock()
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if intercept != nil && intercept(at, w, r) {
		return
	}
	if scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && scheme == "Negotiate" {
		if !s.authenticate(w, c, token) {
			return
		}
	}
	s.mu.Lock()
	sec := c.sec
	s.mu.Unlock()
	if sec == nil {
		unauthorized(w, "")
		return
	}
	if len(body) == 0 {
		w.WriteHeader(http.StatusOK) // pywinrm's empty POST: context set up
		return
	}
	plain := body
	if !s.https {
		plain, err = msgenc.Decode(sec, r.Header.Get("Content-Type"), body, 1<<20)
		if errors.Is(err, msgenc.ErrNotEncrypted) {
			// AllowUnencrypted=false.
			unauthorized(w, "")
			return
		}
		if err != nil {
			s.t.Errorf("server: decode request: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s.mu.Lock()
	c.sealed++
	reply, status, err := roundTrip(ctx, s.fake, plain)
	s.mu.Unlock()
	if err != nil {
		s.t.Errorf("server: %v", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if s.https {
		w.Header().Set("Content-Type", soapContentType)
		w.WriteHeader(status)
		w.Write(reply)
		return
	}
	out, err := msgenc.Encode(sec, sec.Protocol(), reply)
	if err != nil {
		s.t.Errorf("server: encode reply: %v", err)
		return
	}
	ct := msgenc.ContentType(sec.Protocol())
	if s.afterReply != nil {
		out, ct = s.afterReply(c, out)
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(status)
	w.Write(out)
}

// authenticate runs one handshake leg; false means the reply was sent.
func (s *ntlmServer) authenticate(w http.ResponseWriter, c *srvConn, token string) bool {
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil || len(raw) < 12 {
		http.Error(w, "bad token", http.StatusBadRequest)
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = append(s.tokens, token)
	if s.newAcceptor != nil {
		return s.step(w, c, raw)
	}
	switch raw[8] { // NTLM message type
	case 1:
		c.sec = nil
		c.acceptor = gss.NewNTLMAcceptor(ntlm.AcceptorConfig{
			NetBIOSDomain: "LAB", NetBIOSComputer: "HV01", DNSDomain: "lab.example", DNSComputer: "hv01.lab.example",
			ChannelBindings: s.bindings,
		}, s.lookup)
		out, _, err := c.acceptor.Step(raw)
		if err != nil {
			s.t.Errorf("server: challenge: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return false
		}
		s.tokens = append(s.tokens, base64.StdEncoding.EncodeToString(out))
		unauthorized(w, "Negotiate "+base64.StdEncoding.EncodeToString(out))
		return false
	case 3:
		a := c.acceptor
		c.acceptor = nil
		if a == nil {
			unauthorized(w, "")
			return false
		}
		if _, _, err := a.Step(raw); err != nil {
			if !errors.Is(err, ntlm.ErrAuthenticationFailed) {
				s.t.Errorf("server: accept: %v", err)
			}
			s.rejects++
			unauthorized(w, "")
			return false
		}
		c.sec = a
		c.handshakes++
		return true
	}
	http.Error(w, "unexpected NTLM message", http.StatusBadRequest)
	return false
}

// step runs one leg of a mechanism other than NTLM; s.mu is held.
func (s *ntlmServer) step(w http.ResponseWriter, c *srvConn, raw []byte) bool {
	if c.acceptor == nil {
		c.acceptor, c.sec = s.newAcceptor(), nil
	}
	a := c.acceptor
	out, done, err := a.Step(raw)
	if err != nil {
		c.acceptor = nil
		s.rejects++
		unauthorized(w, "")
		return false
	}
	var tok string
	if len(out) > 0 {
		tok = base64.StdEncoding.EncodeToString(out)
		s.tokens = append(s.tokens, tok)
	}
	if !done {
		unauthorized(w, "Negotiate "+tok)
		return false
	}
	c.acceptor, c.sec = nil, a
	c.handshakes++
	if tok != "" {
		// Mutual authentication: the last token rides on the reply.
		w.Header().Set("WWW-Authenticate", "Negotiate "+tok)
	}
	return true
}

// unauthorized answers 401 as Windows does, with an empty body.
func unauthorized(w http.ResponseWriter, negotiate string) {
	if negotiate == "" {
		w.Header().Add("WWW-Authenticate", "Negotiate")
		w.Header().Add("WWW-Authenticate", `Basic realm="WSMAN"`)
	} else {
		w.Header().Set("WWW-Authenticate", negotiate)
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusUnauthorized)
}

// counts returns connections, handshakes (all connections) and requests.
func (s *ntlmServer) counts() (conns, handshakes, requests int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		handshakes += c.handshakes
	}
	return len(s.conns), handshakes, s.requests
}

// perConn returns each connection's handshakes.
func (s *ntlmServer) perConn() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int
	for _, c := range s.conns {
		out = append(out, c.handshakes)
	}
	return out
}

// geterrorService answers GetError invocations.
func geterrorService() *fakeService {
	return &fakeService{reply: func(req *etree.Element, action string) string { return getErrorOutput }}
}

// startNTLMServer starts the endpoint on loopback: plain HTTP, or TLS when
// https is set (then with EPA required when epa is set).
func startNTLMServer(t *testing.T, https, epa bool) (*ntlmServer, *httptest.Server) {
	t.Helper()
	s := &ntlmServer{t: t, fake: geterrorService(), https: https}
	hs := httptest.NewUnstartedServer(s)
	hs.Config.ConnContext = func(ctx context.Context, nc net.Conn) context.Context {
		c := &srvConn{nc: nc}
		s.mu.Lock()
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		return context.WithValue(ctx, srvConnKey{}, c)
	}
	if https {
		hs.StartTLS()
		if epa {
			s.bindings = ntlm.TLSServerEndPoint(hs.Certificate())
		}
	} else {
		hs.Start()
	}
	t.Cleanup(hs.Close)
	return s, hs
}

// ntlmConfig is a SessionTransport config for the test server.
func ntlmConfig(hs *httptest.Server, password string) Config {
	cfg := fastConfig(hs.URL + "/wsman")
	cfg.Auth = NTLMAuth{Username: ntlmUser, Password: password}
	cfg.Proxy = noProxy
	if hs.TLS != nil {
		cfg.TLSConfig = hs.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	}
	return cfg
}

func noProxy(*http.Request) (*url.URL, error) { return nil, nil }

// testClient is a Client over tr with predictable message IDs, safe for
// concurrent calls.
func testClient(tr Transport, serviceURL string) *Client {
	var n atomic.Int64
	return newTestClient(Config{Transport: tr, URL: serviceURL, NewMessageID: func() string {
		return fmt.Sprintf("uuid:00000000-0000-4000-8000-%012d", n.Add(1))
	}})
}
