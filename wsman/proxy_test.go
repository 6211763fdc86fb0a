package wsman

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
)

// testProxy is a forward HTTP proxy on loopback: CONNECT tunnels, and
// absolute-form requests relayed over one server connection per client
// connection (connection pinning, which Negotiate needs).
type testProxy struct {
	ln     net.Listener
	refuse bool // answer CONNECT with 403

	mu        sync.Mutex
	connects  int
	forwarded int
	auth      []string // Proxy-Authorization values seen
}

func startProxy(t *testing.T) *testProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &testProxy{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *testProxy) url(user string) *url.URL {
	u := &url.URL{Scheme: "http", Host: p.ln.Addr().String()}
	if user != "" {
		u.User = url.UserPassword(user, "proxy-pw")
	}
	return u
}

func (p *testProxy) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	var upstream net.Conn
	var ubr *bufio.Reader
	defer func() {
		if upstream != nil {
			upstream.Close()
		}
	}()
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		p.mu.Lock()
		p.auth = append(p.auth, req.Header.Get("Proxy-Authorization"))
		p.mu.Unlock()
		if req.Method == http.MethodConnect {
			p.mu.Lock()
			p.connects++
			p.mu.Unlock()
			if p.refuse {
				io.WriteString(c, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
				return
			}
			up, err := net.Dial("tcp", req.Host)
			if err != nil {
				return
			}
			defer up.Close()
			io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
			go io.Copy(up, br)
			io.Copy(c, up)
			return
		}
		if upstream == nil {
			if upstream, err = net.Dial("tcp", req.URL.Host); err != nil {
				return
			}
			ubr = bufio.NewReader(upstream)
		}
		p.mu.Lock()
		p.forwarded++
		p.mu.Unlock()
		req.Header.Del("Proxy-Authorization")
		if err := req.Write(upstream); err != nil {
			return
		}
		resp, err := http.ReadResponse(ubr, req)
		if err != nil {
			return
		}
		err = resp.Write(c)
		resp.Body.Close()
		if err != nil {
			return
		}
	}
}

func TestSessionThroughProxy(t *testing.T) {
	for _, https := range []bool{false, true} {
		name := map[bool]string{false: "http by absolute-form", true: "https by CONNECT"}[https]
		t.Run(name, func(t *testing.T) {
			s, hs := startNTLMServer(t, https, https)
			p := startProxy(t)
			cfg := ntlmConfig(hs, ntlmPassword)
			cfg.Proxy = http.ProxyURL(p.url("puser"))
			tr := newSession(t, cfg)
			callN(t, testClient(tr, hs.URL+"/wsman"), 3)
			wantHandshake := 2
			if https {
				wantHandshake = 1 // the first envelope rides on the last leg
			}
			wantCounts(t, s, 1, 1, 3+wantHandshake)
			p.mu.Lock()
			defer p.mu.Unlock()
			if https && (p.connects != 1 || p.forwarded != 0) || !https && (p.connects != 0 || p.forwarded != 3+wantHandshake) {
				t.Errorf("proxy saw %d CONNECTs and forwarded %d requests", p.connects, p.forwarded)
			}
			want := "Basic " + base64.StdEncoding.EncodeToString([]byte("puser:proxy-pw"))
			for _, a := range p.auth {
				if a != want {
					t.Errorf("Proxy-Authorization %q, want %q", a, want)
				}
			}
		})
	}
}

func TestSessionProxyRefusals(t *testing.T) {
	_, hs := startNTLMServer(t, true, false)
	p := startProxy(t)
	p.refuse = true
	cfg := ntlmConfig(hs, ntlmPassword)
	cfg.Proxy = http.ProxyURL(p.url(""))
	_, err := newSession(t, cfg).RoundTrip(context.Background(), []byte("<env/>"))
	var pe *ProxyError
	if !errors.As(err, &pe) || pe.Status != "403 Forbidden" {
		t.Fatalf("err = %v, want a *ProxyError with 403", err)
	}
	p.mu.Lock()
	if p.connects != 1 {
		t.Errorf("%d CONNECTs, want 1 (a refusal is not retried)", p.connects)
	}
	p.mu.Unlock()

	cfg.Proxy = http.ProxyURL(&url.URL{Scheme: "socks5", Host: "127.0.0.1:1"})
	_, err = newSession(t, cfg).RoundTrip(context.Background(), []byte("<env/>"))
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a *ProxyError for socks5", err)
	}
}
