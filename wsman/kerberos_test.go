package wsman

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cimjob/cimjob/internal/gss"
	"github.com/cimjob/cimjob/internal/krb"
	"github.com/cimjob/cimjob/internal/krb/krbtest"
)

// Kerberos end to end with a real MIT KDC on loopback: login, a service
// ticket per connection, mutual authentication, then sealed (HTTP) or
// channel-bound (HTTPS) traffic.
func TestSessionKerberos(t *testing.T) {
	kdc := krbtest.Start(t)
	ctx := context.Background()
	keytab := filepath.Join(t.TempDir(), "http.keytab")
	for _, err := range []error{
		kdc.AddUser(ctx, "alice", "Alice-Pw1"),
		kdc.AddService(ctx, "HTTP/127.0.0.1"),
		kdc.Keytab(ctx, keytab, "HTTP/127.0.0.1"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	kt, err := krb.LoadKeytab(keytab)
	if err != nil {
		t.Fatal(err)
	}
	for _, https := range []bool{false, true} {
		t.Run(map[bool]string{false: "sealed over http", true: "https with channel binding"}[https], func(t *testing.T) {
			s, hs := startNTLMServer(t, https, https)
			s.newAcceptor = func() gss.Acceptor {
				return krb.NewAcceptor(krb.AcceptorConfig{Keytab: kt, ChannelBindings: s.bindings})
			}
			cfg := ntlmConfig(hs, "")
			cfg.Auth = KerberosAuth{Username: "alice", Password: "Alice-Pw1", ConfigPath: kdc.Krb5Conf}
			tr := newSession(t, cfg)
			const calls = 10
			callN(t, testClient(tr, hs.URL+"/wsman"), calls)
			// One leg: the AP-REQ, answered with the AP-REP (and, over
			// HTTPS, the reply to the envelope riding on it).
			legs := 1
			if https {
				legs = 0
			}
			wantCounts(t, s, 1, 1, calls+legs)
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		s, hs := startNTLMServer(t, false, false)
		cfg := ntlmConfig(hs, "")
		cfg.Auth = KerberosAuth{Username: "alice", Password: "wrong", ConfigPath: kdc.Krb5Conf}
		err := invokeGetError(ctx, testClient(newSession(t, cfg), hs.URL+"/wsman"))
		var ae *AuthError
		if !errors.As(err, &ae) || !strings.Contains(err.Error(), "authentication failed") || !errors.Is(err, krb.ErrAuthenticationFailed) {
			t.Fatalf("err = %v, want an *AuthError from the KDC's refusal", err)
		}
		// The KDC refused: the service never heard from the client.
		wantCounts(t, s, 0, 0, 0)
	})
}
