package wsman

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cimjob/cimjob/cim"
)

// fastRetries keeps retry tests quick without asserting on time.
func fastConfig(url string) Config {
	return Config{URL: url, Retries: 2, RetryWaitMin: time.Millisecond, RetryWaitMax: 2 * time.Millisecond}
}

func newTransport(t *testing.T, cfg Config) *HTTPTransport {
	t.Helper()
	tr, err := NewTransport(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tr.(*HTTPTransport)
}

const soapOK = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>`

func TestHTTPTransportRequest(t *testing.T) {
	var got *http.Request
	var gotBody []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		gotBody, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", soapContentType)
		io.WriteString(w, soapOK)
	}))
	defer srv.Close()
	cfg := fastConfig(srv.URL + "/wsman")
	cfg.Auth = BasicAuth{Username: "admin", Password: "pw"}
	cfg.AllowUnencrypted = true
	cfg.UserAgent = "cimjob/test"
	body, status, err := roundTrip(context.Background(), newTransport(t, cfg), []byte("<env/>"))
	if err != nil || status != 200 || string(body) != soapOK {
		t.Fatalf("RoundTrip = %q %d %v", body, status, err)
	}
	if got.Method != http.MethodPost || got.URL.Path != "/wsman" || string(gotBody) != "<env/>" {
		t.Errorf("request = %s %s %q", got.Method, got.URL.Path, gotBody)
	}
	if ct := got.Header.Get("Content-Type"); ct != "application/soap+xml;charset=UTF-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if ua := got.Header.Get("User-Agent"); ua != "cimjob/test" {
		t.Errorf("User-Agent = %q", ua)
	}
	if u, p, ok := got.BasicAuth(); !ok || u != "admin" || p != "pw" {
		t.Errorf("basic auth = %q %q %v", u, p, ok)
	}
}

func TestDefaultUserAgent(t *testing.T) {
	if ua := DefaultUserAgent(); !strings.HasPrefix(ua, "cimjob/") || len(ua) == len("cimjob/") {
		t.Errorf("DefaultUserAgent() = %q", ua)
	}
}

func TestNewTransportURLChecks(t *testing.T) {
	basic := BasicAuth{Username: "u", Password: "p"}
	tests := []struct {
		name    string
		cfg     Config
		wantErr error // nil: any error; ok: no error
		ok      bool
	}{
		{"basic over http refused", Config{URL: "http://h:5985/wsman", Auth: basic}, ErrUnencrypted, false},
		{"basic over http allowed", Config{URL: "http://h:5985/wsman", Auth: basic, AllowUnencrypted: true}, nil, true},
		{"basic over https", Config{URL: "https://h:5986/wsman", Auth: basic}, nil, true},
		{"no auth over http", Config{URL: "http://h:5985/wsman"}, nil, true},
		{"credentials in URL", Config{URL: "https://u:p@h:5986/wsman"}, nil, false},
		{"bad scheme", Config{URL: "ftp://h/wsman"}, nil, false},
		{"no host", Config{URL: "http:///wsman"}, nil, false},
		{"unparsable", Config{URL: "http://h:port/wsman"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewTransport(tt.cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), ":p@") {
				t.Errorf("error shows the URL password: %v", err)
			}
		})
	}
}

func TestHTTPTransport401(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		// What Windows sends with its default settings, and no body.
		for _, v := range []string{"Negotiate", "Kerberos", "CredSSP", `Basic realm="WSMAN"`} {
			w.Header().Add("WWW-Authenticate", v)
		}
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	cfg := fastConfig(srv.URL + "/wsman")
	cfg.Auth, cfg.AllowUnencrypted = BasicAuth{Username: "u", Password: "wrong"}, true
	_, err := newTransport(t, cfg).RoundTrip(context.Background(), []byte("<env/>"))
	var ae *AuthError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v (%T), want *AuthError", err, err)
	}
	if fmt.Sprint(ae.Offered) != `[Negotiate Kerberos CredSSP Basic realm="WSMAN"]` || ae.Scheme != "Basic" {
		t.Errorf("AuthError = %+v", ae)
	}
	want := `authentication failed: ` + srv.URL + `/wsman refused Basic credentials (HTTP 401); it offers Negotiate, Kerberos, CredSSP, Basic realm="WSMAN"`
	if ae.Error() != want {
		t.Errorf("Error() =\n%s\nwant\n%s", ae.Error(), want)
	}
	if n.Load() != 1 {
		t.Errorf("401 was sent %d times, want 1 (no retry)", n.Load())
	}
}

func TestHTTPTransportRetries(t *testing.T) {
	fault := readTestdata(t, "fault_invalid_selectors.xml")
	tests := []struct {
		name      string
		statuses  []int // per request; the last repeats
		wantCalls int32
		check     func(t *testing.T, body []byte, status int, err error)
	}{
		{"503 then success", []int{503, 200}, 2, func(t *testing.T, body []byte, status int, err error) {
			if err != nil || status != 200 {
				t.Errorf("status %d err %v", status, err)
			}
		}},
		{"429 then success", []int{429, 429, 200}, 3, func(t *testing.T, body []byte, status int, err error) {
			if err != nil || status != 200 {
				t.Errorf("status %d err %v", status, err)
			}
		}},
		{"503 until retries run out", []int{503}, 3, func(t *testing.T, body []byte, status int, err error) {
			var he *HTTPError
			if !errors.As(err, &he) || he.StatusCode != 503 {
				t.Errorf("err = %v, want *HTTPError 503", err)
			}
		}},
		{"500 fault not retried", []int{500}, 1, func(t *testing.T, body []byte, status int, err error) {
			if err != nil || status != 500 || !bytes.Equal(body, fault) {
				t.Errorf("status %d err %v body %q", status, err, body)
			}
		}},
		{"400 not retried", []int{400}, 1, func(t *testing.T, body []byte, status int, err error) {
			var he *HTTPError
			if !errors.As(err, &he) || he.StatusCode != 400 || !bytes.Equal(he.Body, fault) {
				t.Errorf("err = %v, want *HTTPError 400 carrying the SOAP body", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := int(n.Add(1)) - 1
				st := tt.statuses[min(i, len(tt.statuses)-1)]
				w.Header().Set("Content-Type", soapContentType)
				if st == 429 {
					w.Header().Set("Retry-After", "0")
				}
				w.WriteHeader(st)
				w.Write(fault)
			}))
			defer srv.Close()
			// Idempotent: a busy status is retried only then.
			ctx := withIdempotent(context.Background())
			body, status, err := roundTrip(ctx, newTransport(t, fastConfig(srv.URL)), []byte("<env/>"))
			tt.check(t, body, status, err)
			if n.Load() != tt.wantCalls {
				t.Errorf("server saw %d requests, want %d", n.Load(), tt.wantCalls)
			}
		})
	}
}

// refusedAddr returns a loopback address where nothing listens.
func refusedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestHTTPTransportConnectionRefusedRetried(t *testing.T) {
	addr := refusedAddr(t)
	var log bytes.Buffer
	cfg := fastConfig("http://" + addr + "/wsman")
	cfg.Debug = &log
	_, err := newTransport(t, cfg).RoundTrip(context.Background(), []byte("<env/>"))
	var te *TransportError
	if !errors.As(err, &te) || te.Op != "dial" || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("err = %v, want a dial *TransportError wrapping ECONNREFUSED", err)
	}
	if !strings.HasPrefix(err.Error(), "connection to http://"+addr+"/wsman failed: dial") {
		t.Errorf("Error() = %q", err)
	}
	if got := strings.Count(log.String(), "--> #"); got != 3 {
		t.Errorf("%d attempts, want 3 (1 + 2 retries)", got)
	}
}

func TestHTTPTransportDroppedConnection(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		io.ReadAll(r.Body)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer srv.Close()
	_, err := newTransport(t, fastConfig(srv.URL)).RoundTrip(context.Background(), []byte("<env/>"))
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want *TransportError", err)
	}
	// The service may have acted on the request: not retried.
	if n.Load() != 1 {
		t.Errorf("server saw %d requests, want 1", n.Load())
	}
}

func TestHTTPTransportHungServer(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := newTransport(t, fastConfig(srv.URL)).RoundTrip(ctx, []byte("<env/>"))
	var te *TransportError
	if !errors.As(err, &te) || !te.Timeout() || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a timed-out *TransportError", err)
	}
	if !strings.Contains(err.Error(), "timed out") {
		t.Errorf("Error() = %q, want it to say timed out", err)
	}
}

func TestHTTPTransportCancelled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newTransport(t, fastConfig(srv.URL)).RoundTrip(ctx, []byte("<env/>"))
	var te *TransportError
	if !errors.As(err, &te) || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("err = %v, want a cancelled *TransportError", err)
	}
}

func TestHTTPTransportTruncatedBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", soapContentType)
		w.Header().Set("Content-Length", "1000")
		io.WriteString(w, soapOK[:20])
	}))
	defer srv.Close()
	_, err := newTransport(t, fastConfig(srv.URL)).RoundTrip(context.Background(), []byte("<env/>"))
	var te *TransportError
	if !errors.As(err, &te) || te.Op != "read" || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want a read *TransportError (unexpected EOF)", err)
	}
}

func TestHTTPTransportHugeBody(t *testing.T) {
	const total = 256 << 20
	written := make(chan int64, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", soapContentType)
		chunk := bytes.Repeat([]byte("<a>xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx</a>"), 1024)
		var n int64
		for n < total {
			m, err := w.Write(chunk)
			n += int64(m)
			if err != nil {
				break
			}
		}
		written <- n
	}))
	defer srv.Close()
	var log bytes.Buffer
	cfg := fastConfig(srv.URL)
	cfg.Debug = &log // the debug log must not defeat the cap
	_, err := newTransport(t, cfg).RoundTrip(context.Background(), []byte("<env/>"))
	var re *ResponseError
	if !errors.As(err, &re) || !errors.Is(err, cim.ErrTooLarge) {
		t.Fatalf("err = %v, want *ResponseError wrapping cim.ErrTooLarge", err)
	}
	if n := <-written; n >= total {
		t.Errorf("server wrote all %d bytes: the client did not stop reading", n)
	}
	if log.Len() > 1<<20 {
		t.Errorf("debug log holds %d bytes", log.Len())
	}
}

func TestHTTPTransportDeclaredHugeBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000000")
		io.WriteString(w, "<x/>")
	}))
	defer srv.Close()
	cfg := fastConfig(srv.URL)
	cfg.Limits.MaxBytes = 1000
	_, err := newTransport(t, cfg).RoundTrip(context.Background(), []byte("<env/>"))
	if !errors.Is(err, cim.ErrTooLarge) {
		t.Fatalf("err = %v, want cim.ErrTooLarge", err)
	}
}

func TestHTTPTransportStatuses(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		check   func(t *testing.T, err error)
	}{
		{"redirect not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://elsewhere.invalid/wsman", http.StatusFound)
		}, func(t *testing.T, err error) {
			var he *HTTPError
			if !errors.As(err, &he) || he.StatusCode != 302 || !strings.Contains(err.Error(), "elsewhere.invalid") {
				t.Errorf("err = %v", err)
			}
		}},
		{"500 html", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(500)
			io.WriteString(w, "<html>\r\n<body>Service\x00 Unavailable</body></html>")
		}, func(t *testing.T, err error) {
			var he *HTTPError
			if !errors.As(err, &he) || he.StatusCode != 500 || he.Body != nil {
				t.Errorf("err = %v", err)
			}
			if strings.ContainsAny(err.Error(), "\r\n\x00") {
				t.Errorf("Error() not one clean line: %q", err)
			}
		}},
		{"413", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(413) }, func(t *testing.T, err error) {
			if !strings.Contains(fmt.Sprint(err), "MaxEnvelopeSize") {
				t.Errorf("err = %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			_, err := newTransport(t, fastConfig(srv.URL)).RoundTrip(context.Background(), []byte("<env/>"))
			tt.check(t, err)
		})
	}
}

// A fault through the real transport and Client, with 500 and 400.
func TestClientOverHTTPFault(t *testing.T) {
	for _, status := range []int{500, 400} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", soapContentType)
			w.WriteHeader(status)
			w.Write(readTestdata(t, "fault_timed_out_other_prefixes.xml"))
		}))
		cfg := fastConfig(srv.URL)
		cfg.NewMessageID = func() string { return "uuid:11111111-2222-3333-4444-555555555555" }
		c := newTestClient(cfg)
		_, err := c.Invoke(context.Background(), jobURI, "GetError", nil, nil)
		srv.Close()
		var f *Fault
		if !errors.As(err, &f) || !errors.Is(err, ErrTimedOut) || f.HTTPStatus != status {
			t.Errorf("status %d: err = %v, want a TimedOut *Fault with that status", status, err)
		}
	}
}

func TestHTTPTransportTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", soapContentType)
		io.WriteString(w, soapOK)
	}))
	defer srv.Close()

	// Verified by default: the test server's certificate is not trusted.
	_, err := newTransport(t, fastConfig(srv.URL)).RoundTrip(context.Background(), []byte("<env/>"))
	var te *TransportError
	if !errors.As(err, &te) || te.Op != "tls" {
		t.Fatalf("err = %v, want a tls *TransportError", err)
	}

	// Trusted through TLSConfig.
	cfg := fastConfig(srv.URL)
	cfg.TLSConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	if _, err := newTransport(t, cfg).RoundTrip(context.Background(), []byte("<env/>")); err != nil {
		t.Fatalf("with TLSConfig: %v", err)
	}
}

func TestSanitizeChallenges(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{[]string{"Negotiate", "Kerberos", `Basic realm="WSMAN"`}, `[Negotiate Kerberos Basic realm="WSMAN"]`},
		{[]string{"Negotiate oYIBBzCCAQOgAwoBAaEMBgorBgEEAYI3AgIKooHt=="}, `[Negotiate]`},
		{[]string{`Negotiate, Basic realm="a b", charset="UTF-8"`}, `[Negotiate Basic realm="a b"]`},
		{[]string{"NTLM TlRMTVNTUAACAAAADAAMADgAAAA="}, `[NTLM]`},
		{nil, `[]`},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(sanitizeChallenges(tt.in)); got != tt.want {
			t.Errorf("sanitizeChallenges(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestBackoffBounded(t *testing.T) {
	min, max := 100*time.Millisecond, time.Second
	for attempt := 0; attempt < 40; attempt++ {
		d := backoff(min, max, attempt, nil)
		if d < min/2 || d > max {
			t.Errorf("attempt %d: %v outside [%v, %v]", attempt, d, min/2, max)
		}
	}
	busy := &http.Response{StatusCode: 503, Header: http.Header{"Retry-After": {"3600"}}}
	if d := backoff(min, max, 0, busy); d != max {
		t.Errorf("Retry-After 3600 gave %v, want the %v cap", d, max)
	}
	busy.Header.Set("Retry-After", "0")
	if d := backoff(min, max, 0, busy); d != 0 {
		t.Errorf("Retry-After 0 gave %v", d)
	}
}

func TestCheckRetry(t *testing.T) {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	wroteCtx, st := withAttemptTrace(context.Background())
	st.wrote.Store(true)
	idem := withIdempotent(context.Background())
	wroteIdem, st := withAttemptTrace(idem)
	st.wrote.Store(true)
	resp := func(code int) *http.Response { return &http.Response{StatusCode: code} }
	tests := []struct {
		name string
		ctx  context.Context
		resp *http.Response
		err  error
		want bool
	}{
		{"503", idem, resp(503), nil, true},
		{"429", idem, resp(429), nil, true},
		{"503, not idempotent", context.Background(), resp(503), nil, false},
		{"429, not idempotent", context.Background(), resp(429), nil, false},
		{"500", context.Background(), resp(500), nil, false},
		{"401", context.Background(), resp(401), nil, false},
		{"200", context.Background(), resp(200), nil, false},
		{"503 after ctx done", done, resp(503), nil, false},
		{"refused", context.Background(), nil, &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, true},
		{"refused after ctx done", done, nil, &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, false},
		{"reset before write", context.Background(), nil, &net.OpError{Op: "write", Err: syscall.ECONNRESET}, true},
		{"reset after write", wroteCtx, nil, &net.OpError{Op: "read", Err: syscall.ECONNRESET}, false},
		{"EOF before write", context.Background(), nil, io.EOF, true},
		{"EOF after write", wroteCtx, nil, io.EOF, false},
		{"timeout after write", wroteCtx, nil, &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, false},
		{"reset after write, idempotent", wroteIdem, nil, &net.OpError{Op: "read", Err: syscall.ECONNRESET}, true},
		{"refused, not idempotent", context.Background(), nil, &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, true},
		{"dns not found", context.Background(), nil, &net.DNSError{Err: "no such host", IsNotFound: true}, false},
		{"bad certificate", context.Background(), nil, x509.UnknownAuthorityError{}, false},
	}
	for _, tt := range tests {
		got, err := checkRetry(tt.ctx, tt.resp, tt.err)
		if got != tt.want || err != nil {
			t.Errorf("%s: checkRetry = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}

// Debug output must show the exchange but never a credential.
func TestDebugRedaction(t *testing.T) {
	const user, password = "HV01\\Administrator", "S3cr3t-P@ss!"
	token := "oYIBBzCCAQOgAwoBAaEMBgorBgEEAYI3AgIKooHtBIHq"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "cookie-value-123"})
		if r.Header.Get("Cookie") == "" {
			w.Header().Add("WWW-Authenticate", "Negotiate "+token)
			w.Header().Add("WWW-Authenticate", `Basic realm="WSMAN"`)
			w.WriteHeader(401)
			return
		}
		w.Header().Set("Content-Type", soapContentType)
		io.WriteString(w, soapOK)
	}))
	defer srv.Close()
	var log bytes.Buffer
	cfg := fastConfig(srv.URL + "/wsman")
	cfg.Auth, cfg.AllowUnencrypted, cfg.Debug = BasicAuth{Username: user, Password: password}, true, &log
	tr := newTransport(t, cfg)
	if _, err := tr.RoundTrip(context.Background(), []byte("<env>hello</env>")); err == nil {
		t.Fatal("want the 401")
	}
	// A request carrying cookies and a proxy credential, through the
	// debug transport directly.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/wsman", strings.NewReader("<env/>"))
	req.Header.Set("Cookie", "session=cookie-value-123")
	req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("proxyuser:"+password)))
	req.Header.Set("Authorization", "Negotiate "+token)
	resp, err := newDebugTransport(http.DefaultTransport, &log).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	out := log.String()
	secrets := []string{
		password,
		base64.StdEncoding.EncodeToString([]byte(user + ":" + password)),
		base64.StdEncoding.EncodeToString([]byte("proxyuser:" + password)),
		token,
		"cookie-value-123",
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("debug output contains secret %q:\n%s", s, out)
		}
	}
	for _, want := range []string{
		"--> #1 POST " + srv.URL + "/wsman",
		"Authorization: Basic [redacted]",
		"Authorization: Negotiate [redacted]",
		"Proxy-Authorization: Basic [redacted]",
		"Www-Authenticate: Negotiate [token redacted]",
		`Www-Authenticate: Basic realm="WSMAN"`,
		"Set-Cookie: [redacted]",
		"Cookie: [redacted]",
		"<-- #1 HTTP/1.1 401 Unauthorized",
		"<env>hello</env>",
		soapOK,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("debug output lacks %q:\n%s", want, out)
		}
	}
}

func TestDebugBodyShapes(t *testing.T) {
	var b strings.Builder
	writeBody(&b, "multipart/encrypted;protocol=\"application/HTTP-SPNEGO-session-encrypted\"", []byte("sealed\x00bytes"))
	writeBody(&b, "application/octet-stream", []byte("x"))
	if strings.Contains(b.String(), "sealed") || strings.Count(b.String(), "not shown") != 2 {
		t.Errorf("binary bodies shown: %q", b.String())
	}
}
