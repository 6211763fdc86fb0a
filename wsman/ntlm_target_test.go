package wsman

import (
	"context"
	"encoding/base64"
	"testing"

	"github.com/cimjob/cimjob/internal/ntlm"
)

// NTLMAuth signs a target name into every handshake: its SPN, by default
// HTTP/<host of the URL>, as Windows clients do and the README promises,
// for library callers as for the CLI.
func TestNTLMTargetName(t *testing.T) {
	for _, tc := range []struct {
		name, spn, want string
	}{
		{"default", "", "HTTP/127.0.0.1"},
		{"SPN given", "HTTP/hv01.lab.example", "HTTP/hv01.lab.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, hs := startNTLMServer(t, false, false)
			cfg := ntlmConfig(hs, ntlmPassword)
			auth := cfg.Auth.(NTLMAuth)
			auth.SPN = tc.spn
			cfg.Auth = auth
			tr := newSession(t, cfg)
			if err := invokeGetError(context.Background(), testClient(tr, hs.URL+"/wsman")); err != nil {
				t.Fatal(err)
			}
			s.mu.Lock()
			tokens := append([]string(nil), s.tokens...)
			s.mu.Unlock()
			var found bool
			for _, tok := range tokens {
				raw, err := base64.StdEncoding.DecodeString(tok)
				if err != nil || len(raw) < 12 || raw[8] != 3 {
					continue
				}
				am, err := ntlm.ParseAuthenticate(raw)
				if err != nil {
					t.Fatal(err)
				}
				pairs, err := ntlm.ParseAVPairs(am.NtChallengeResponse[16+28:])
				if err != nil {
					t.Fatal(err)
				}
				found = true
				if got := pairs.String(ntlm.AvTargetName); got != tc.want {
					t.Errorf("MsvAvTargetName %q, want %q", got, tc.want)
				}
			}
			if !found {
				t.Fatal("no AUTHENTICATE_MESSAGE seen")
			}
		})
	}
}
