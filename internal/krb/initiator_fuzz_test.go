package krb

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"
)

// krbErrorToken is a KRB-ERROR as the service would send it in place of
// an AP-REP, for scheme.
func krbErrorToken(t testing.TB, scheme string) []byte {
	t.Helper()
	ke := messages.NewKRBError(types.NewPrincipalName(nametype.KRB_NT_SRV_INST, "HTTP/127.0.0.1"), testRealm, errorcode.KRB_AP_ERR_SKEW, "clock skew")
	b, err := ke.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := frameKRB5(tokKRBError, b)
	if err != nil {
		t.Fatal(err)
	}
	if scheme == SchemeKerberos {
		return tok
	}
	resp := spnego.NegTokenResp{NegState: asn1.Enumerated(spnego.NegStateAcceptCompleted), SupportedMech: oidKRB5, ResponseToken: tok}
	out, err := resp.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The initiator's second step parses the service's reply from the
// network: no input may panic it. With a fixed clock every initiator
// sends the same authenticator, so the AP-REP seeds verify and the fuzzer
// starts past the decryption.
func FuzzInitiatorStep(f *testing.F) {
	o := newOffline(f, etypeID.AES256_CTS_HMAC_SHA1_96, "service-secret")
	// One authenticator time per scheme: the acceptors share a replay
	// cache, which would refuse the second seed's AP-REQ.
	now := time.Now()
	cfg := func(negotiate bool) InitiatorConfig {
		c := InitiatorConfig{Scheme: SchemeKerberos, Now: func() time.Time { return now.Add(time.Second + 7*time.Microsecond) }}
		if negotiate {
			c.Scheme, c.Now = SchemeNegotiate, func() time.Time { return now.Add(3 * time.Microsecond) }
		}
		return c
	}
	for _, negotiate := range []bool{true, false} {
		i := o.initiator(f, cfg(negotiate))
		tok, _, err := i.Step(nil)
		if err != nil {
			f.Fatal(err)
		}
		rep, _, err := NewAcceptor(AcceptorConfig{Keytab: o.kt, Scheme: cfg(negotiate).Scheme}).Step(tok)
		if err != nil {
			f.Fatal(err)
		}
		if _, done, err := o.initiator(f, cfg(negotiate)).stepTwo(rep); err != nil || !done {
			f.Fatalf("seed AP-REP does not verify: %v", err)
		}
		f.Add(negotiate, rep)
		f.Add(negotiate, rep[:len(rep)-7])
		ke := krbErrorToken(f, cfg(negotiate).Scheme)
		var kerr *KerberosError
		if _, _, err := o.initiator(f, cfg(negotiate)).stepTwo(ke); !errors.As(err, &kerr) || kerr.Code != errorcode.KRB_AP_ERR_SKEW {
			f.Fatalf("seed KRB-ERROR: %v", err)
		}
		f.Add(negotiate, ke)
	}
	f.Fuzz(func(t *testing.T, negotiate bool, in []byte) {
		i, err := newInitiator(credentials.New("alice", testRealm), o.tkt, o.key, "HTTP/127.0.0.1", cfg(negotiate))
		if err != nil {
			t.Fatal(err)
		}
		i.stepTwo(in)
	})
}

// stepTwo runs the first step and answers in to the second.
func (i *Initiator) stepTwo(in []byte) ([]byte, bool, error) {
	if _, _, err := i.Step(nil); err != nil {
		return nil, false, err
	}
	return i.Step(in)
}

// The initiator reads the acceptor's wrap tokens (the sealed replies) from
// the network as well: no input may panic it, and none it accepts may be
// accepted twice. Every iteration's initiator is established by the same
// AP-REP (a fixed clock makes them identical), so the first seed, sealed by
// the acceptor that sent it, verifies.
func FuzzInitiatorUnseal(f *testing.F) {
	o := newOffline(f, etypeID.AES256_CTS_HMAC_SHA1_96, "service-secret")
	at := time.Now().Add(5 * time.Second)
	cfg := InitiatorConfig{Now: func() time.Time { return at }}
	tok, _, err := o.initiator(f, cfg).Step(nil)
	if err != nil {
		f.Fatal(err)
	}
	a := NewAcceptor(AcceptorConfig{Keytab: o.kt})
	rep, _, err := a.Step(tok)
	if err != nil {
		f.Fatal(err)
	}
	established := func(t testing.TB) *Initiator {
		i := o.initiator(t, cfg)
		if _, done, err := i.stepTwo(rep); err != nil || !done {
			t.Fatalf("AP-REP does not verify: %v", err)
		}
		return i
	}
	for n, plain := range [][]byte{[]byte("<s:Envelope>reply</s:Envelope>"), {}, bytes.Repeat([]byte("<reply/>"), 100)} {
		sig, sealed, err := a.Seal(plain)
		if err != nil {
			f.Fatal(err)
		}
		if n == 0 {
			if _, err := established(f).Unseal(sig, sealed); err != nil {
				f.Fatalf("seed wrap token does not unseal: %v", err)
			}
		}
		f.Add(sig, sealed)
	}
	f.Fuzz(func(t *testing.T, sig, sealed []byte) {
		i := established(t)
		if _, err := i.Unseal(sig, sealed); err != nil {
			return
		}
		if _, err := i.Unseal(sig, sealed); err == nil {
			t.Fatal("a wrap token was accepted twice")
		}
	})
}
