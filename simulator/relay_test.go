package simulator

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cimjob/cimjob/internal/ntlm"
	"github.com/cimjob/cimjob/wsman"
)

// relayMode is what the relay does to the CHALLENGE_MESSAGE on its way to
// the victim.
type relayMode int

const (
	// passThrough forwards it untouched: the control that shows the relay
	// plumbing works, with a client that already holds the bindings.
	passThrough relayMode = iota
	// stripTimestamp removes MsvAvTimestamp, so that no MIC is sent, and
	// inserts the channel bindings of the relay's TLS connection.
	stripTimestamp
	// insertBindings keeps the timestamp and inserts the bindings.
	insertBindings
)

// ntlmRelay is a hostile WinRM host that a victim reaches over plain HTTP:
// it opens its own HTTPS connection to target and relays the victim's NTLM
// handshake there, to log in as the victim.
type ntlmRelay struct {
	t        *testing.T
	target   string
	envelope []byte
	mode     relayMode
	hc       *http.Client

	mu sync.Mutex
	// bindings are those of the relay's own TLS connection to target.
	bindings *ntlm.ChannelBindings
	// relayed is the status target answered the relayed
	// AUTHENTICATE_MESSAGE with (0: none was relayed).
	relayed int
}

func newNTLMRelay(t *testing.T, target string, tlsCfg *tls.Config, envelope []byte, mode relayMode) (*ntlmRelay, string) {
	t.Helper()
	// One connection: the NTLM context on target belongs to it.
	tr := &http.Transport{TLSClientConfig: tlsCfg, MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}
	t.Cleanup(tr.CloseIdleConnections)
	r := &ntlmRelay{t: t, target: target, envelope: envelope, mode: mode, hc: &http.Client{Transport: tr}}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, srv.URL + "/wsman"
}

// forward sends the victim's token to target, with the envelope as every
// leg over HTTPS carries it, and returns target's status and token.
func (r *ntlmRelay) forward(token string) (int, []byte, *tls.ConnectionState, error) {
	req, err := http.NewRequest(http.MethodPost, r.target, bytes.NewReader(r.envelope))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	req.Header.Set("Authorization", "Negotiate "+token)
	resp, err := r.hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, 8<<20)); err != nil {
		return 0, nil, nil, err
	}
	_, b64, _ := strings.Cut(resp.Header.Get("WWW-Authenticate"), " ")
	out, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, out, resp.TLS, nil
}

func (r *ntlmRelay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	_, _ = io.Copy(io.Discard, io.LimitReader(req.Body, 8<<20))
	scheme, b64, _ := strings.Cut(req.Header.Get("Authorization"), " ")
	token, err := base64.StdEncoding.DecodeString(b64)
	if !strings.EqualFold(scheme, "Negotiate") || err != nil || len(token) < 12 {
		w.Header().Set("WWW-Authenticate", "Negotiate")
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	switch token[8] {
	case 1: // NEGOTIATE_MESSAGE
		status, challenge, cs, err := r.forward(b64)
		if err != nil || status != http.StatusUnauthorized || cs == nil {
			r.t.Errorf("relay: NEGOTIATE to the target: status %d, %v", status, err)
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		cb := ntlm.TLSServerEndPoint(cs.PeerCertificates[0])
		r.mu.Lock()
		r.bindings = cb
		r.mu.Unlock()
		if r.mode != passThrough {
			challenge = r.rewrite(challenge, cb)
		}
		w.Header().Set("WWW-Authenticate", "Negotiate "+base64.StdEncoding.EncodeToString(challenge))
		w.WriteHeader(http.StatusUnauthorized)
	case 3: // AUTHENTICATE_MESSAGE
		status, _, _, err := r.forward(b64)
		if err != nil {
			r.t.Errorf("relay: AUTHENTICATE to the target: %v", err)
		}
		r.mu.Lock()
		r.relayed = status
		r.mu.Unlock()
		// The victim learns nothing either way.
		w.WriteHeader(http.StatusUnauthorized)
	default:
		w.WriteHeader(http.StatusBadRequest)
	}
}

// rewrite is the relay's tampering: its own connection's channel bindings
// in, the timestamp out if the mode says so.
func (r *ntlmRelay) rewrite(challenge []byte, cb *ntlm.ChannelBindings) []byte {
	cm, err := ntlm.ParseChallenge(challenge)
	if err != nil {
		r.t.Errorf("relay: %v", err)
		return challenge
	}
	var pairs ntlm.AVPairs
	for _, p := range cm.TargetInfo {
		if p.ID != ntlm.AvTimestamp || r.mode != stripTimestamp {
			pairs = append(pairs, p)
		}
	}
	cm.TargetInfo = append(pairs, ntlm.AVPair{ID: ntlm.AvChannelBindings, Value: cb.Hash()})
	out, err := cm.Marshal()
	if err != nil {
		r.t.Errorf("relay: %v", err)
		return challenge
	}
	return out
}

func (r *ntlmRelay) result() (relayed int, bindings *ntlm.ChannelBindings) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.relayed, r.bindings
}

// A hostile host that the victim reaches over plain HTTP relays the
// victim's NTLM login to the hardened host's HTTPS listener
// (CbtHardeningLevel=Strict), tampering with the challenge so that the
// victim signs the channel bindings of the relay's own TLS connection. The
// relayed login must be refused: by the victim, which will not answer a
// challenge without timestamp (no MIC) unless told to, and signs only
// bindings of its own; and by the host, which requires the MIC its
// timestamp calls for and checks the bindings.
func TestNTLMRelayToStrictCBTRefused(t *testing.T) {
	s, target, tlsCfg := startTLSSim(t, "hardened.json")
	envelope := loadRequest(t, "invoke.xml", defaultVars())

	t.Run("control: the relay works for a client holding the target's bindings", func(t *testing.T) {
		relay, url := newNTLMRelay(t, target, tlsCfg, envelope, passThrough)
		c := newSealedClient(t, url, ntlm.ClientConfig{User: "demo", Password: "demo-password", ChannelBindings: ntlm.TLSServerEndPoint(s.Certificate())}, nil)
		if _, err := c.handshake(nil); err != nil {
			t.Fatal(err)
		}
		if relayed, _ := relay.result(); relayed != http.StatusOK {
			t.Fatalf("target answered the relayed login %d, want 200: the relay does not relay", relayed)
		}
	})

	t.Run("the host alone: a client that signs the relay's bindings without a MIC", func(t *testing.T) {
		// What the client did before it learnt to refuse: the bindings
		// are right for the relay's connection, so only the host's rule
		// that its timestamp calls for a MIC stops the login.
		relay, url := newNTLMRelay(t, target, tlsCfg, envelope, stripTimestamp)
		c := newSealedClient(t, url, ntlm.ClientConfig{User: "demo", Password: "demo-password", ChannelBindings: ntlm.TLSServerEndPoint(s.Certificate()), AllowNoTimestamp: true}, nil)
		if _, err := c.handshake(nil); err != nil {
			t.Fatal(err)
		}
		if relayed, _ := relay.result(); relayed != http.StatusUnauthorized {
			t.Fatalf("target answered the relayed login %d, want 401", relayed)
		}
	})

	for _, tc := range []struct {
		name             string
		mode             relayMode
		allowNoTimestamp bool
		// victimRefuses: the victim stops at the challenge.
		victimRefuses bool
	}{
		{"timestamp stripped, bindings inserted", stripTimestamp, false, true},
		{"timestamp stripped, bindings inserted, victim allows no timestamp", stripTimestamp, true, false},
		{"timestamp kept, bindings inserted", insertBindings, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			relay, url := newNTLMRelay(t, target, tlsCfg, envelope, tc.mode)
			client, err := wsman.NewClient(wsman.Config{
				URL:  url,
				Auth: wsman.NTLMAuth{Username: "demo", Password: "demo-password", AllowNoTimestamp: tc.allowNoTimestamp},
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { client.Close() })
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err = client.Identify(ctx)
			var ae *wsman.AuthError
			if !errors.As(err, &ae) {
				t.Fatalf("victim: err = %v, want a *wsman.AuthError", err)
			}
			relayed, bindings := relay.result()
			if bindings == nil {
				t.Fatal("the relay never reached the target")
			}
			var nte *ntlm.NoTimestampError
			if tc.victimRefuses {
				if !errors.As(err, &nte) {
					t.Errorf("victim: err = %v, want a *ntlm.NoTimestampError", err)
				}
				if relayed != 0 {
					t.Errorf("an AUTHENTICATE_MESSAGE was relayed (target answered %d)", relayed)
				}
				return
			}
			if errors.As(err, &nte) {
				t.Fatalf("victim refused the challenge (%v); the case wants it answered", err)
			}
			if relayed != http.StatusUnauthorized {
				t.Fatalf("target answered the relayed login %d, want 401", relayed)
			}
		})
	}
}
