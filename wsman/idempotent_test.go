package wsman

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

// invokeMarked calls a job's GetError through c, marked idempotent or not.
func invokeMarked(ctx context.Context, c *Client, idempotent bool) error {
	r := NewInvoke(jobURI, "GetError", []Selector{{Name: "InstanceID", Value: "J1"}}, nil)
	r.Idempotent = idempotent
	_, err := c.InvokeRequest(ctx, r)
	return err
}

func TestRequestIdempotentByConstructor(t *testing.T) {
	tests := []struct {
		name string
		r    *Request
		want bool
	}{
		{"Identify", NewIdentify(), true},
		{"Get", NewGet(jobURI), true},
		{"Enumerate", NewEnumerate(jobURI, EnumerateOptions{}), true},
		{"Pull", NewPull(jobURI, "ctx", 0), false}, // a resent Pull may skip a page
		{"Invoke", NewInvoke(jobURI, "GetError", nil, nil), false},
		{"Release", NewRelease(jobURI, "ctx"), false},
	}
	for _, tc := range tests {
		if tc.r.Idempotent != tc.want {
			t.Errorf("%s: Idempotent = %v, want %v", tc.name, tc.r.Idempotent, tc.want)
		}
	}
}

// An on-path attacker cannot make a sealed request run twice: an answer
// to it that is not sealed (a forged 401 or 503), or none at all, makes it
// go out again only when it is marked idempotent; otherwise the call
// fails with a *MayHaveRunError that keeps the cause.
func TestSessionResendsOnlyIdempotent(t *testing.T) {
	tests := []struct {
		name string
		// kept: the sealed message goes on a connection an earlier call
		// left open (a 401 then means a dropped context).
		kept bool
		// https: over TLS the envelope rides on every handshake leg;
		// each attempt starts with a first leg.
		https  bool
		answer func(w http.ResponseWriter)
		cause  func(error) bool
	}{
		{"forged plaintext 401 on a kept connection", true, false, func(w http.ResponseWriter) { unauthorized(w, "") }, isAuthError},
		{"forged plaintext 503", false, false, busy503, isHTTPStatus(503)},
		{"connection dropped after the envelope", false, false, hangUp, isTransportError},
		{"503 to the first leg over HTTPS", false, true, busy503, isHTTPStatus(503)},
	}
	for _, tc := range tests {
		bothMarkings(t, tc.name, func(t *testing.T, idempotent bool) {
			s, hs := startNTLMServer(t, tc.https, false)
			c := testClient(newSession(t, ntlmConfig(hs, ntlmPassword)), hs.URL+"/wsman")
			if tc.kept {
				callN(t, c, 1)
			}
			var sends atomic.Int32
			s.mu.Lock()
			s.intercept = func(at seen, w http.ResponseWriter, r *http.Request) bool {
				attempt := isSealedMessage(r)
				if tc.https {
					attempt = ntlmLeg(r) == 1
				}
				if !attempt || sends.Add(1) > 1 {
					return false
				}
				tc.answer(w)
				return true
			}
			s.mu.Unlock()
			err := invokeMarked(context.Background(), c, idempotent)
			checkResend(t, err, idempotent, tc.cause, int(sends.Load()))
		})
	}
}

// The HTTPTransport follows the same rule.
func TestHTTPTransportResendsOnlyIdempotent(t *testing.T) {
	tests := []struct {
		name   string
		answer func(w http.ResponseWriter)
		cause  func(error) bool
	}{
		{"503", busy503, isHTTPStatus(503)},
		{"connection dropped after the request", hangUp, isTransportError},
	}
	for _, tc := range tests {
		bothMarkings(t, tc.name, func(t *testing.T, idempotent bool) {
			fake := geterrorService()
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if n.Add(1) == 1 {
					tc.answer(w)
					return
				}
				ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
				defer cancel()
				reply, status, err := roundTrip(ctx, fake, body)
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				w.Header().Set("Content-Type", soapContentType)
				w.WriteHeader(status)
				w.Write(reply)
			}))
			defer srv.Close()
			cfg := fastConfig(srv.URL + "/wsman")
			cfg.Proxy = noProxy
			c := testClient(newTransport(t, cfg), srv.URL+"/wsman")
			err := invokeMarked(context.Background(), c, idempotent)
			checkResend(t, err, idempotent, tc.cause, int(n.Load()))
		})
	}
}

// A connection refused carried nothing: retried on both transports,
// whether the request is idempotent or not.
func TestRefusedRetriedEvenIfNotIdempotent(t *testing.T) {
	addr := refusedAddr(t)
	for _, auth := range []Authenticator{nil, NTLMAuth{Username: ntlmUser, Password: ntlmPassword}} {
		for _, idempotent := range []bool{false, true} {
			var dials atomic.Int32
			cfg := fastConfig("http://" + addr + "/wsman")
			cfg.Auth = auth
			// Consulted once per connection attempt, by both transports.
			cfg.Proxy = func(*http.Request) (*url.URL, error) { dials.Add(1); return nil, nil }
			tr, err := NewTransport(cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = invokeMarked(context.Background(), testClient(tr, cfg.URL), idempotent)
			var te *TransportError
			var mh *MayHaveRunError
			if !errors.As(err, &te) || errors.As(err, &mh) {
				t.Errorf("%T, idempotent %v: err = %v, want a *TransportError and no *MayHaveRunError", tr, idempotent, err)
			}
			if got := int(dials.Load()); got != cfg.Retries+1 {
				t.Errorf("%T, idempotent %v: %d connection attempts, want %d", tr, idempotent, got, cfg.Retries+1)
			}
		}
	}
}

// bothMarkings runs test as subtests for a request not marked idempotent
// and for one marked so.
func bothMarkings(t *testing.T, name string, test func(t *testing.T, idempotent bool)) {
	for _, idempotent := range []bool{false, true} {
		sub := name + "/not idempotent"
		if idempotent {
			sub = name + "/idempotent"
		}
		t.Run(sub, func(t *testing.T) { test(t, idempotent) })
	}
}

// checkResend holds a call to the rule: sent once and a *MayHaveRunError
// wrapping the cause when not idempotent; sent again, and answered, when
// idempotent.
func checkResend(t *testing.T, err error, idempotent bool, cause func(error) bool, sent int) {
	t.Helper()
	if idempotent {
		if err != nil || sent != 2 {
			t.Fatalf("err = %v, request sent %d times; want it resent once and answered", err, sent)
		}
		return
	}
	var mh *MayHaveRunError
	if !errors.As(err, &mh) || !cause(err) {
		t.Errorf("err = %v, want a *MayHaveRunError wrapping the cause", err)
	}
	if sent != 1 {
		t.Errorf("request sent %d times, want once", sent)
	}
}

func busy503(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "0")
	w.WriteHeader(http.StatusServiceUnavailable)
}

// hangUp closes the connection without an answer.
func hangUp(w http.ResponseWriter) {
	if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
		conn.Close()
	}
}

func isAuthError(err error) bool {
	var ae *AuthError
	return errors.As(err, &ae)
}

func isTransportError(err error) bool {
	var te *TransportError
	return errors.As(err, &te)
}

func isHTTPStatus(code int) func(error) bool {
	return func(err error) bool {
		var he *HTTPError
		return errors.As(err, &he) && he.StatusCode == code
	}
}
