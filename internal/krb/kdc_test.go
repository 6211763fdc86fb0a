package krb_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cimjob/cimjob/internal/gss"
	"github.com/cimjob/cimjob/internal/krb"
	"github.com/cimjob/cimjob/internal/krb/krbtest"
	"github.com/cimjob/cimjob/internal/msgenc"
)

// Both sides fit the seam the transport and the simulator drive.
var (
	_ gss.Context  = (*krb.Initiator)(nil)
	_ gss.Acceptor = (*krb.Acceptor)(nil)
)

// realm is one MIT KDC shared by the tests of this package, with its
// principals and keytabs.
type realm struct {
	kdc           *krbtest.KDC
	serviceKeytab string // HTTP/127.0.0.1 and HTTP/localhost
	userKeytab    string // bob
	ccache        string // alice, made by MIT's kinit
	ccacheErr     error  // why there is no ccache
}

const (
	alicePassword = "Alice-Pw1"
	bobPassword   = "Bob-Pw2"
)

var (
	shared    *realm
	sharedErr error
)

func TestMain(m *testing.M) {
	code := func() int {
		if err := krbtest.Available(krbtest.ServerTools...); err != nil {
			sharedErr = err
			return m.Run()
		}
		dir, err := os.MkdirTemp("", "krbtest")
		if err != nil {
			sharedErr = err
			return m.Run()
		}
		defer os.RemoveAll(dir)
		r, err := setUpRealm(dir)
		if r != nil {
			defer r.kdc.Close()
		}
		shared, sharedErr = r, err
		return m.Run()
	}()
	os.Exit(code)
}

// setUpRealm starts the KDC and makes the principals and keytabs; the
// credential cache only where MIT's kinit is installed, since only some
// tests need it.
func setUpRealm(dir string) (*realm, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	k, err := krbtest.New(ctx, dir, krbtest.DefaultRealm)
	if err != nil {
		return nil, err
	}
	r := &realm{kdc: k,
		serviceKeytab: filepath.Join(dir, "http.keytab"),
		userKeytab:    filepath.Join(dir, "bob.keytab"),
		ccache:        filepath.Join(dir, "alice.ccache")}
	steps := []func() error{
		func() error { return k.AddUser(ctx, "alice", alicePassword) },
		func() error { return k.AddUser(ctx, "bob", bobPassword) },
		func() error { return k.AddService(ctx, "HTTP/127.0.0.1") },
		func() error { return k.AddService(ctx, "HTTP/localhost") },
		func() error { return k.Keytab(ctx, r.serviceKeytab, "HTTP/127.0.0.1", "HTTP/localhost") },
		func() error { return k.Keytab(ctx, r.userKeytab, "bob") },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return r, err
		}
	}
	if r.ccacheErr = krbtest.Available("kinit"); r.ccacheErr == nil {
		r.ccacheErr = k.Kinit(ctx, "alice", alicePassword, r.ccache)
	}
	return r, nil
}

// needRealm skips without MIT's KDC on a developer machine and fails in
// CI, whose set-up installs it.
func needRealm(t *testing.T) *realm {
	t.Helper()
	krbtest.Need(t, krbtest.ServerTools...)
	if shared == nil || sharedErr != nil {
		t.Fatalf("MIT KDC: %v", sharedErr)
	}
	return shared
}

// needCCache is needRealm for a test that also uses alice's credential
// cache, which MIT's kinit made.
func needCCache(t *testing.T) *realm {
	t.Helper()
	r := needRealm(t)
	krbtest.Need(t, "kinit")
	if r.ccacheErr != nil {
		t.Fatalf("kinit: %v", r.ccacheErr)
	}
	return r
}

func (r *realm) acceptor(scheme string) *krb.Acceptor {
	kt, err := krb.LoadKeytab(r.serviceKeytab)
	if err != nil {
		panic(err)
	}
	return krb.NewAcceptor(krb.AcceptorConfig{Keytab: kt, Scheme: scheme})
}

func TestLoginAndHandshakeWithKDC(t *testing.T) {
	r := needRealm(t)
	ctx := context.Background()
	tests := []struct {
		name   string
		cfg    krb.ClientConfig
		user   string
		host   string
		scheme string
	}{
		{"password", krb.ClientConfig{User: "alice", Password: alicePassword}, "alice", "127.0.0.1", krb.SchemeNegotiate},
		{"password user@realm lower case", krb.ClientConfig{User: "alice@cimjob.test", Password: alicePassword}, "alice", "localhost", krb.SchemeKerberos},
		{"keytab", krb.ClientConfig{User: "bob", KeytabPath: r.userKeytab}, "bob", "127.0.0.1", krb.SchemeNegotiate},
		{"kinit ccache", krb.ClientConfig{CCachePath: "FILE:" + r.ccache}, "alice", "localhost", krb.SchemeNegotiate},
		{"kinit ccache named user", krb.ClientConfig{User: "alice@CIMJOB.TEST", CCachePath: r.ccache}, "alice", "127.0.0.1", krb.SchemeKerberos},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.cfg.CCachePath != "" {
				needCCache(t)
			}
			tt.cfg.ConfigPath = r.kdc.Krb5Conf
			c, err := krb.NewClient(ctx, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if want := tt.user + "@" + r.kdc.Realm; c.Principal() != want {
				t.Errorf("Principal %q, want %q", c.Principal(), want)
			}
			var i gss.Context
			i, err = c.NewInitiator(ctx, krb.InitiatorConfig{Host: tt.host, Scheme: tt.scheme})
			if err != nil {
				t.Fatal(err)
			}
			var a gss.Acceptor = r.acceptor(tt.scheme)
			runHandshake(t, i, a)
			if want := tt.user + "@" + r.kdc.Realm; a.User() != want {
				t.Errorf("acceptor User %q, want %q", a.User(), want)
			}
			sealBothWays(t, i, a)
		})
	}
}

func runHandshake(t *testing.T, i gss.Context, a gss.Acceptor) {
	t.Helper()
	tok, done, err := i.Step(nil)
	if err != nil || done {
		t.Fatalf("initiator: done %v, %v", done, err)
	}
	rep, done, err := a.Step(tok)
	if err != nil || !done {
		t.Fatalf("acceptor: done %v, %v", done, err)
	}
	if _, done, err = i.Step(rep); err != nil || !done {
		t.Fatalf("initiator on the AP-REP: done %v, %v", done, err)
	}
}

func sealBothWays(t *testing.T, i gss.Context, a gss.Acceptor) {
	t.Helper()
	for n := 0; n < 3; n++ {
		req := []byte(fmt.Sprintf("<s:Envelope>request %d</s:Envelope>", n))
		body, err := msgenc.Encode(i, i.Protocol(), req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := msgenc.Decode(a, msgenc.ContentType(a.Protocol()), body, 1<<20)
		if err != nil || !bytes.Equal(got, req) {
			t.Fatalf("request: %q, %v", got, err)
		}
		reply := bytes.Repeat([]byte("<reply/>"), 100+n)
		body, err = msgenc.Encode(a, a.Protocol(), reply)
		if err != nil {
			t.Fatal(err)
		}
		got, err = msgenc.Decode(i, msgenc.ContentType(i.Protocol()), body, 1<<20)
		if err != nil || !bytes.Equal(got, reply) {
			t.Fatalf("reply: %v", err)
		}
	}
}

func TestKDCRefusals(t *testing.T) {
	r := needRealm(t)
	ctx := context.Background()
	conf := r.kdc.Krb5Conf
	t.Run("wrong password", func(t *testing.T) {
		_, err := krb.NewClient(ctx, krb.ClientConfig{User: "alice", Password: "wrong", ConfigPath: conf})
		var ke *krb.KerberosError
		if !errors.Is(err, krb.ErrAuthenticationFailed) || !errors.As(err, &ke) || ke.Code != 24 {
			t.Errorf("got %v, want KDC_ERR_PREAUTH_FAILED", err)
		}
	})
	t.Run("unknown user", func(t *testing.T) {
		_, err := krb.NewClient(ctx, krb.ClientConfig{User: "mallory", Password: "x", ConfigPath: conf})
		var ke *krb.KerberosError
		if !errors.Is(err, krb.ErrAuthenticationFailed) || !errors.As(err, &ke) || ke.Code != 6 {
			t.Errorf("got %v, want KDC_ERR_C_PRINCIPAL_UNKNOWN", err)
		}
	})
	t.Run("unknown service", func(t *testing.T) {
		c, err := krb.NewClient(ctx, krb.ClientConfig{User: "alice", Password: alicePassword, ConfigPath: conf})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.NewInitiator(ctx, krb.InitiatorConfig{Host: "nohost.example"})
		var ke *krb.KerberosError
		if !errors.As(err, &ke) || ke.Code != 7 || errors.Is(err, krb.ErrAuthenticationFailed) {
			t.Errorf("got %v, want KDC_ERR_S_PRINCIPAL_UNKNOWN", err)
		}
	})
	t.Run("client clock skewed", func(t *testing.T) {
		c, err := krb.NewClient(ctx, krb.ClientConfig{User: "alice", Password: alicePassword, ConfigPath: conf})
		if err != nil {
			t.Fatal(err)
		}
		i, err := c.NewInitiator(ctx, krb.InitiatorConfig{Host: "127.0.0.1", Now: func() time.Time { return time.Now().Add(-20 * time.Minute) }})
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := i.Step(nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := r.acceptor(krb.SchemeNegotiate).Step(tok); !errors.Is(err, krb.ErrClockSkew) {
			t.Errorf("got %v, want clock skew", err)
		}
	})
	t.Run("cache for someone else", func(t *testing.T) {
		needCCache(t)
		_, err := krb.NewClient(ctx, krb.ClientConfig{User: "bob", CCachePath: r.ccache, ConfigPath: conf})
		var ce *krb.CredentialsError
		if !errors.As(err, &ce) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("missing cache", func(t *testing.T) {
		_, err := krb.NewClient(ctx, krb.ClientConfig{CCachePath: filepath.Join(t.TempDir(), "none"), ConfigPath: conf})
		var ce *krb.CredentialsError
		if !errors.As(err, &ce) || !errors.Is(err, os.ErrNotExist) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("keyring cache", func(t *testing.T) {
		_, err := krb.NewClient(ctx, krb.ClientConfig{CCachePath: "KEYRING:persistent:0", ConfigPath: conf})
		var ce *krb.CredentialsError
		if !errors.As(err, &ce) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("garbage cache", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "cc")
		os.WriteFile(p, []byte{5, 4, 0, 12, 0, 1, 0, 8, 0xff, 0xff}, 0o600)
		_, err := krb.NewClient(ctx, krb.ClientConfig{CCachePath: p, ConfigPath: conf})
		var ce *krb.CredentialsError
		if !errors.As(err, &ce) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("missing krb5.conf", func(t *testing.T) {
		_, err := krb.NewClient(ctx, krb.ClientConfig{User: "alice", Password: "x", ConfigPath: filepath.Join(t.TempDir(), "krb5.conf")})
		var ce *krb.ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := krb.NewClient(cctx, krb.ClientConfig{User: "alice", Password: alicePassword, ConfigPath: conf})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got %v", err)
		}
	})
}
