package wsman

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// ntlmLeg returns the NTLM message type a request's Authorization carries
// (1 NEGOTIATE, 3 AUTHENTICATE), 0 for none.
func ntlmLeg(r *http.Request) byte {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || scheme != "Negotiate" {
		return 0
	}
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil || len(raw) < 12 {
		return 0
	}
	return raw[8]
}

// TestSessionHandshakeLegStatus holds the handshake to what a status on a
// leg means: busy is retried whole on a fresh connection, never reported
// as an authentication failure; any other status that is neither a
// challenge nor success ends the call with it, and over plain HTTP no
// sealed envelope follows.
func TestSessionHandshakeLegStatus(t *testing.T) {
	fault := string(readTestdata(t, "fault_minimal.xml"))
	tests := []struct {
		name   string
		https  bool
		leg    byte // the NTLM message type whose request is answered with status
		every  bool // on every connection, not the first only
		status int
		body   string
		// want: 0 success; otherwise the HTTP status of the *HTTPError
		// (or, with wantFault, of the *Fault).
		want      int
		wantFault bool
		requests  int
	}{
		{name: "503 on the first leg, retried", leg: 1, status: 503, requests: 1 + 3},
		{name: "429 on the last leg, retried", leg: 3, status: 429, requests: 2 + 3},
		{name: "503 on the first leg over HTTPS, retried", https: true, leg: 1, status: 503, requests: 1 + 2},
		{name: "503 on every first leg", leg: 1, every: true, status: 503, want: 503, requests: 3},
		{name: "400 on the first leg", leg: 1, status: 400, want: 400, requests: 1},
		{name: "500 fault on the last leg, unsealed", leg: 3, status: 500, body: fault, want: 500, requests: 2},
		{name: "500 fault on the last leg over HTTPS", https: true, leg: 3, status: 500, body: fault, want: 500, wantFault: true, requests: 2},
		{name: "500 fault on the first leg over HTTPS", https: true, leg: 1, status: 500, body: fault, want: 500, wantFault: true, requests: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, hs := startNTLMServer(t, tc.https, false)
			s.intercept = func(at seen, w http.ResponseWriter, r *http.Request) bool {
				if ntlmLeg(r) != tc.leg || !(tc.every || at.firstConn) {
					return false
				}
				w.Header().Set("Retry-After", "0")
				if tc.body != "" {
					w.Header().Set("Content-Type", soapContentType)
				}
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
				return true
			}
			tr := newSession(t, ntlmConfig(hs, ntlmPassword))
			err := invokeGetError(context.Background(), testClient(tr, hs.URL+"/wsman"))
			if _, _, requests := s.counts(); requests != tc.requests {
				t.Errorf("%d requests, want %d", requests, tc.requests)
			}
			if tc.want == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ae *AuthError
			if errors.As(err, &ae) {
				t.Fatalf("err = %v, an *AuthError", err)
			}
			if tc.wantFault {
				var f *Fault
				if !errors.As(err, &f) || f.HTTPStatus != tc.want {
					t.Fatalf("err = %v, want a *Fault with HTTP %d", err, tc.want)
				}
				return
			}
			var he *HTTPError
			if !errors.As(err, &he) || he.StatusCode != tc.want || he.Body != nil {
				t.Fatalf("err = %v, want an *HTTPError %d without a body", err, tc.want)
			}
		})
	}
}

// TestSessionHandshakeStatusReported checks the *HTTPError reports the
// status of a handshake leg that ended the call.
func TestSessionHandshakeStatusReported(t *testing.T) {
	_, hs := startNTLMServer(t, false, false)
	cfg := ntlmConfig(hs, ntlmPassword)
	cfg.Retries = 0
	s := hs.Config.Handler.(*ntlmServer)
	s.intercept = func(_ seen, w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	}
	tr := newSession(t, cfg)
	_, err := tr.RoundTrip(context.Background(), []byte("<env/>"))
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("err %v; want an *HTTPError with 503", err)
	}
}
