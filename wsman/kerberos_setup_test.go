package wsman

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/cimjob/cimjob/internal/krb"
)

func TestSetupFailureKinds(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		transport bool
	}{
		{"KDC refused", &krb.KerberosError{Op: "login", Code: 24}, false},
		{"unusable credentials", &krb.CredentialsError{Reason: "no credentials"}, false},
		{"bad krb5.conf", &krb.ConfigError{Path: "/etc/krb5.conf", Err: errors.New("parse")}, false},
		{"KDC unreachable", &krb.ExchangeError{Op: "login", Err: errors.New("connection refused"), KDC: true}, true},
		{"KDC timed out", &krb.ExchangeError{Op: "login", Err: context.DeadlineExceeded, KDC: true}, true},
		{"deadline, unwrapped", fmt.Errorf("service ticket: %w", context.DeadlineExceeded), true},
		{"local AP-REQ encoding", &krb.ExchangeError{Op: "AP-REQ", Err: errors.New("asn1")}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := setupFailure("http://h/wsman", "Kerberos", tc.err)
			var (
				te *TransportError
				ae *AuthError
			)
			if tc.transport && (!errors.As(err, &te) || te.Op != OpKDC) {
				t.Fatalf("%v: want a *TransportError (kdc)", err)
			}
			if !tc.transport && !errors.As(err, &ae) {
				t.Fatalf("%v: want an *AuthError", err)
			}
			if !errors.Is(err, tc.err) {
				t.Fatalf("%v does not wrap %v", err, tc.err)
			}
		})
	}
}

// TestSessionKDCUnreachable: a KDC that drops every connection is a
// transport failure, tried again as the retry policy allows, and the
// service never hears from the client.
func TestSessionKDCUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	conf := filepath.Join(t.TempDir(), "krb5.conf")
	text := fmt.Sprintf(`[libdefaults]
 default_realm = EXAMPLE.TEST
 dns_lookup_kdc = false
 udp_preference_limit = 1
[realms]
 EXAMPLE.TEST = {
  kdc = %s
 }
`, ln.Addr())
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	s, hs := startNTLMServer(t, false, false)
	cfg := ntlmConfig(hs, "")
	cfg.Auth = KerberosAuth{Username: "alice", Password: "pw", ConfigPath: conf}
	err = invokeGetError(context.Background(), testClient(newSession(t, cfg), hs.URL+"/wsman"))
	var (
		te *TransportError
		ae *AuthError
	)
	if !errors.As(err, &te) || errors.As(err, &ae) {
		t.Fatalf("err = %v, want a *TransportError and no *AuthError", err)
	}
	// Each attempt reached the KDC at least once: the call was retried.
	if n := int(accepted.Load()); n < cfg.Retries+1 {
		t.Errorf("KDC saw %d connections, want at least %d (retried)", n, cfg.Retries+1)
	}
	wantCounts(t, s, 0, 0, 0)
}
