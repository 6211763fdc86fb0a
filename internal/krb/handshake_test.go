package krb

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/cimjob/cimjob/internal/msgenc"
	"github.com/cimjob/cimjob/internal/ntlm"
)

const testRealm = "CIMJOB.TEST"

// offline is a service ticket made directly with the service's key, as a
// KDC would make it, so that handshakes can be tested without one.
type offline struct {
	kt  *keytab.Keytab
	tkt messages.Ticket
	key types.EncryptionKey
}

func newOffline(t testing.TB, etype int32, servicePassword string) offline {
	t.Helper()
	kt := keytab.New()
	if err := kt.AddEntry("HTTP/127.0.0.1", testRealm, servicePassword, time.Now(), 1, etype); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	tkt, key, err := messages.NewTicket(
		types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, "alice"), testRealm,
		types.NewPrincipalName(nametype.KRB_NT_SRV_INST, "HTTP/127.0.0.1"), testRealm,
		types.NewKrbFlags(), kt, etype, 1, now, now, now.Add(time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return offline{kt: kt, tkt: tkt, key: key}
}

func (o offline) initiator(t testing.TB, cfg InitiatorConfig) *Initiator {
	t.Helper()
	i, err := newInitiator(credentials.New("alice", testRealm), o.tkt, o.key, "HTTP/127.0.0.1", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// handshake runs both sides to the end.
func handshake(t *testing.T, i *Initiator, a *Acceptor) error {
	t.Helper()
	tok, done, err := i.Step(nil)
	if err != nil || done {
		t.Fatalf("first step: done %v, %v", done, err)
	}
	rep, done, err := a.Step(tok)
	if err != nil {
		return err
	}
	if !done || len(rep) == 0 {
		t.Fatalf("acceptor: done %v, %d-byte reply", done, len(rep))
	}
	_, done, err = i.Step(rep)
	if err == nil && !done {
		t.Fatal("initiator not done after the AP-REP")
	}
	return err
}

// exchange seals a request and a reply through the MS-WSMV framing.
func exchange(t *testing.T, i *Initiator, a *Acceptor) {
	t.Helper()
	for n := 0; n < 3; n++ {
		req := []byte("<s:Envelope>request</s:Envelope>")
		body, err := msgenc.Encode(i, i.Protocol(), req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := msgenc.Decode(a, msgenc.ContentType(a.Protocol()), body, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, req) {
			t.Fatalf("acceptor got %q", got)
		}
		reply := bytes.Repeat([]byte("<reply/>"), 1000)
		body, err = msgenc.Encode(a, a.Protocol(), reply)
		if err != nil {
			t.Fatal(err)
		}
		got, err = msgenc.Decode(i, msgenc.ContentType(i.Protocol()), body, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, reply) {
			t.Fatal("initiator got a different reply")
		}
	}
}

func TestHandshakeOffline(t *testing.T) {
	tests := []struct {
		name     string
		etype    int32
		scheme   string
		protocol string
	}{
		{"negotiate aes256", etypeID.AES256_CTS_HMAC_SHA1_96, SchemeNegotiate, msgenc.ProtocolSPNEGO},
		{"negotiate aes128", etypeID.AES128_CTS_HMAC_SHA1_96, "", msgenc.ProtocolSPNEGO},
		{"kerberos aes256", etypeID.AES256_CTS_HMAC_SHA1_96, SchemeKerberos, msgenc.ProtocolKerberos},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOffline(t, tt.etype, "service-secret")
			i := o.initiator(t, InitiatorConfig{Host: "127.0.0.1", Scheme: tt.scheme})
			a := NewAcceptor(AcceptorConfig{Keytab: o.kt, Scheme: tt.scheme})
			if _, _, err := i.Seal([]byte("early")); !errors.Is(err, ErrNotEstablished) {
				t.Errorf("seal before the handshake: %v", err)
			}
			if err := handshake(t, i, a); err != nil {
				t.Fatal(err)
			}
			if a.User() != "alice@"+testRealm {
				t.Errorf("User %q", a.User())
			}
			if i.Protocol() != tt.protocol || a.Protocol() != tt.protocol {
				t.Errorf("protocols %q %q", i.Protocol(), a.Protocol())
			}
			// Both sides seal with the acceptor's subkey, not the ticket's
			// session key.
			is, as := i.Session.(*session), a.Session.(*session)
			if !is.acceptorSubkey || bytes.Equal(is.key.KeyValue, o.key.KeyValue) || !bytes.Equal(is.key.KeyValue, as.key.KeyValue) {
				t.Error("sessions do not share the acceptor subkey")
			}
			exchange(t, i, a)
			if _, _, err := i.Step(nil); err == nil {
				t.Error("a third step succeeded")
			}
		})
	}
}

func TestHandshakeRefusals(t *testing.T) {
	o := newOffline(t, etypeID.AES256_CTS_HMAC_SHA1_96, "service-secret")
	other := newOffline(t, etypeID.AES256_CTS_HMAC_SHA1_96, "another-secret")
	cb := &ntlm.ChannelBindings{ApplicationData: []byte("tls-server-end-point:abc")}
	tests := []struct {
		name string
		icfg InitiatorConfig
		acfg AcceptorConfig
		want error
	}{
		{"wrong service key", InitiatorConfig{}, AcceptorConfig{Keytab: other.kt}, ErrAuthenticationFailed},
		{"client clock an hour ahead", InitiatorConfig{Now: func() time.Time { return time.Now().Add(time.Hour) }}, AcceptorConfig{Keytab: o.kt}, ErrClockSkew},
		{"client clock an hour behind", InitiatorConfig{Now: func() time.Time { return time.Now().Add(-time.Hour) }}, AcceptorConfig{Keytab: o.kt}, ErrClockSkew},
		{"channel bindings missing", InitiatorConfig{}, AcceptorConfig{Keytab: o.kt, ChannelBindings: cb}, ErrAuthenticationFailed},
		{"channel bindings differ", InitiatorConfig{ChannelBindings: &ntlm.ChannelBindings{ApplicationData: []byte("x")}}, AcceptorConfig{Keytab: o.kt, ChannelBindings: cb}, ErrAuthenticationFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i := o.initiator(t, tt.icfg)
			err := handshake(t, i, NewAcceptor(tt.acfg))
			var ke *KerberosError
			if !errors.Is(err, tt.want) || !errors.As(err, &ke) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("channel bindings match", func(t *testing.T) {
		i := o.initiator(t, InitiatorConfig{ChannelBindings: cb})
		if err := handshake(t, i, NewAcceptor(AcceptorConfig{Keytab: o.kt, ChannelBindings: cb})); err != nil {
			t.Fatal(err)
		}
	})
}

// The initiator checks the AP-REP: it must answer its own authenticator,
// in its session key.
func TestInitiatorRefusesForeignAPRep(t *testing.T) {
	o := newOffline(t, etypeID.AES256_CTS_HMAC_SHA1_96, "service-secret")
	i1 := o.initiator(t, InitiatorConfig{})
	i2 := o.initiator(t, InitiatorConfig{})
	tok, _, _ := i1.Step(nil)
	i2.Step(nil)
	rep, _, err := NewAcceptor(AcceptorConfig{Keytab: o.kt}).Step(tok)
	if err != nil {
		t.Fatal(err)
	}
	// i2 shares the ticket and session key but sent another authenticator.
	var ke *KerberosError
	if _, _, err := i2.Step(rep); !errors.As(err, &ke) {
		t.Errorf("foreign AP-REP: %v", err)
	}
	for name, in := range map[string][]byte{"empty": nil, "garbage": []byte("garbage"), "truncated": rep[:len(rep)/2]} {
		i := o.initiator(t, InitiatorConfig{})
		i.Step(nil)
		if _, done, err := i.Step(in); err == nil || done {
			t.Errorf("%s reply accepted", name)
		}
	}
}

func TestAcceptorRefusesBadTokens(t *testing.T) {
	o := newOffline(t, etypeID.AES256_CTS_HMAC_SHA1_96, "service-secret")
	good, _, _ := o.initiator(t, InitiatorConfig{Scheme: SchemeKerberos}).Step(nil)
	ntlmFirst, _ := frameToken(oidSPNEGO, []byte{0xa0, 0x0e, 0x30, 0x0c, 0xa0, 0x0a, 0x30, 0x08, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82})
	for name, in := range map[string][]byte{
		"empty":          nil,
		"ntlm":           []byte("NTLMSSP\x00\x01\x00\x00\x00"),
		"truncated":      good[:len(good)-5],
		"length lies":    append([]byte{0x60, 0x84, 0x7f, 0xff, 0xff, 0xff}, good[2:]...),
		"not AP-REQ":     append(append([]byte{}, good[:17]...), append([]byte{0x02, 0x00}, good[19:]...)...),
		"spnego garbage": ntlmFirst,
	} {
		_, done, err := NewAcceptor(AcceptorConfig{Keytab: o.kt}).Step(in)
		if err == nil || done {
			t.Errorf("%s: accepted", name)
		}
	}
	a := NewAcceptor(AcceptorConfig{Keytab: o.kt})
	if _, _, err := a.Step(good); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Step(good); err == nil {
		t.Error("second token accepted")
	}
}

// The acceptor parses tokens from the network: no input may panic it. The
// real AP-REQs (both schemes) seed it past the framing; each verifies once,
// then the replay cache refuses it.
func FuzzAcceptorStep(f *testing.F) {
	o := newOffline(f, etypeID.AES256_CTS_HMAC_SHA1_96, "service-secret")
	for _, scheme := range []string{SchemeNegotiate, SchemeKerberos} {
		tok, _, err := o.initiator(f, InitiatorConfig{Scheme: scheme}).Step(nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
	}
	f.Add([]byte{0x60, 0x00})
	f.Add([]byte{0x60, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02})
	f.Add([]byte{0x60, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x01, 0x00})
	f.Add([]byte{0x60, 0x08, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02})
	f.Fuzz(func(t *testing.T, in []byte) {
		NewAcceptor(AcceptorConfig{Keytab: o.kt}).Step(in)
	})
}

// Wrap tokens come from the network too.
func FuzzUnseal(f *testing.F) {
	key := types.EncryptionKey{KeyType: etypeID.AES256_CTS_HMAC_SHA1_96, KeyValue: make([]byte, 32)}
	seal, _ := newSession(key, false, true, 0, 0)
	sig, sealed, _ := seal.Seal([]byte("seed"))
	f.Add(sig, sealed)
	f.Add(sig[:16], []byte{})
	f.Fuzz(func(t *testing.T, sig, sealed []byte) {
		s, _ := newSession(key, true, true, 0, 0)
		s.Unseal(sig, sealed)
	})
}
