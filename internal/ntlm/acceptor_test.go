package ntlm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// vectorAcceptor is an Acceptor that has "sent" the example's challenge.
func vectorAcceptor(t *testing.T) *Acceptor {
	a := NewAcceptor(AcceptorConfig{})
	cm, err := ParseChallenge(unhex(t, vec.challenge))
	if err != nil {
		t.Fatal(err)
	}
	a.negotiate, a.challenge, a.cm = []byte{}, unhex(t, vec.challenge), cm
	return a
}

func TestVectorAcceptor(t *testing.T) {
	lookup := func(domain, user string) (string, bool) {
		if domain == "Domain" && strings.EqualFold(user, "user") {
			return "Password", true
		}
		return "", false
	}
	sess, id, err := vectorAcceptor(t).Accept(unhex(t, vec.authenticate), lookup)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Identity{Domain: "Domain", User: "User", Workstation: "COMPUTER"}); id != want {
		t.Errorf("identity %+v, want %+v", id, want)
	}
	got, err := sess.Unseal(unhex(t, vec.clientSignature), unhex(t, vec.clientSealed))
	if err != nil {
		t.Fatal(err)
	}
	checkHex(t, "unsealed", got, vec.plaintext)
	sig, sealed, err := sess.Seal(unhex(t, vec.plaintext))
	if err != nil {
		t.Fatal(err)
	}
	checkHex(t, "server sealed", sealed, vec.serverSealed)
	checkHex(t, "server signature", sig, vec.serverSignature)
}

// users is the password store of the round-trip tests.
func users(domain, user string) (string, bool) {
	if strings.EqualFold(user, "alice") && (domain == "" || strings.EqualFold(domain, "CORP")) {
		return "S3cret!pässword", true
	}
	return "", false
}

func testAcceptorConfig() AcceptorConfig {
	return AcceptorConfig{NetBIOSDomain: "CORP", NetBIOSComputer: "HV01", DNSDomain: "corp.example", DNSComputer: "hv01.corp.example"}
}

// handshake runs Negotiate/Challenge/Authenticate/Accept with our own client.
func handshake(t *testing.T, ccfg ClientConfig, acfg AcceptorConfig) (client, server *Session, id Identity, err error) {
	t.Helper()
	c := NewClient(ccfg)
	a := NewAcceptor(acfg)
	nm, err := c.Negotiate()
	if err != nil {
		t.Fatal(err)
	}
	cm, err := a.Challenge(nm)
	if err != nil {
		t.Fatal(err)
	}
	am, cs, err := c.Authenticate(cm)
	if err != nil {
		t.Fatal(err)
	}
	ss, id, err := a.Accept(am, users)
	return cs, ss, id, err
}

func TestRoundTrip(t *testing.T) {
	cs, ss, id, err := handshake(t, ClientConfig{User: "alice", Domain: "CORP", Password: "S3cret!pässword", Workstation: "WS1", TargetSPN: "HTTP/hv01"}, testAcceptorConfig())
	if err != nil {
		t.Fatal(err)
	}
	if id != (Identity{Domain: "CORP", User: "alice", Workstation: "WS1"}) {
		t.Errorf("identity %+v", id)
	}
	if !cs.Flags().Has(FlagSeal|FlagSign|FlagKeyExchange|FlagExtendedSessionSecurity|Flag128) || cs.Flags() != ss.Flags() {
		t.Errorf("client flags %s, server flags %s", cs.Flags(), ss.Flags())
	}
	exchange(t, cs, ss, 5)
}

// exchange seals n messages each way, interleaved, and checks they unseal.
func exchange(t *testing.T, a, b *Session, n int) {
	t.Helper()
	for i := range n {
		for _, dir := range []struct{ from, to *Session }{{a, b}, {b, a}} {
			msg := []byte(strings.Repeat("<s:Envelope/>", i+1))
			sig, sealed, err := dir.from.Seal(msg)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(sealed, []byte("Envelope")) {
				t.Fatal("sealed bytes contain the plaintext")
			}
			got, err := dir.to.Unseal(sig, sealed)
			if err != nil {
				t.Fatalf("message %d: %v", i, err)
			}
			if !bytes.Equal(got, msg) {
				t.Fatalf("message %d: got %q", i, got)
			}
		}
	}
	sig, err := a.Sign([]byte("signed"))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Verify([]byte("signed"), sig); err != nil {
		t.Fatal(err)
	}
}

func TestAcceptFailures(t *testing.T) {
	good := ClientConfig{User: "alice", Domain: "CORP", Password: "S3cret!pässword"}
	cb := &ChannelBindings{ApplicationData: []byte("tls-server-end-point:abc")}
	other := &ChannelBindings{ApplicationData: []byte("tls-server-end-point:xyz")}
	tests := []struct {
		name   string
		client func(ClientConfig) ClientConfig
		server func(AcceptorConfig) AcceptorConfig
		want   AuthFailure // 0: success
	}{
		{"wrong password", func(c ClientConfig) ClientConfig { c.Password = "wrong"; return c }, nil, ReasonWrongPassword},
		{"unknown user", func(c ClientConfig) ClientConfig { c.User = "mallory"; return c }, nil, ReasonUnknownUser},
		{"UPN with empty domain", func(c ClientConfig) ClientConfig { c.Domain = ""; return c }, nil, 0},
		{"bindings required, none sent", nil, func(a AcceptorConfig) AcceptorConfig { a.ChannelBindings = cb; return a }, ReasonChannelBindings},
		{"bindings differ", func(c ClientConfig) ClientConfig { c.ChannelBindings = other; return c }, func(a AcceptorConfig) AcceptorConfig { a.ChannelBindings = cb; return a }, ReasonChannelBindings},
		{"bindings match", func(c ClientConfig) ClientConfig { c.ChannelBindings = cb; return c }, func(a AcceptorConfig) AcceptorConfig { a.ChannelBindings = cb; return a }, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, a := good, testAcceptorConfig()
			if tc.client != nil {
				c = tc.client(c)
			}
			if tc.server != nil {
				a = tc.server(a)
			}
			_, _, _, err := handshake(t, c, a)
			if tc.want == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ae *AuthError
			if !errors.As(err, &ae) || ae.Reason != tc.want || !errors.Is(err, ErrAuthenticationFailed) {
				t.Fatalf("want AuthError %v, got %v", tc.want, err)
			}
		})
	}
}

// tamperedAccept runs a handshake whose AUTHENTICATE_MESSAGE is changed by
// edit before the acceptor sees it.
func tamperedAccept(t *testing.T, edit func([]byte) []byte) error {
	c := NewClient(ClientConfig{User: "alice", Domain: "CORP", Password: "S3cret!pässword", Workstation: "WS1"})
	a := NewAcceptor(testAcceptorConfig())
	nm, _ := c.Negotiate()
	cm, err := a.Challenge(nm)
	if err != nil {
		t.Fatal(err)
	}
	am, _, err := c.Authenticate(cm)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = a.Accept(edit(am), users)
	return err
}

func TestAcceptTampered(t *testing.T) {
	tests := []struct {
		name string
		edit func([]byte) []byte
		want AuthFailure
	}{
		{"MIC flipped", func(b []byte) []byte { b[micOffset] ^= 1; return b }, ReasonMICMismatch},
		{"encrypted session key flipped", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }, ReasonMICMismatch},
		{"workstation renamed", func(b []byte) []byte { b[binary.LittleEndian.Uint32(b[48:])] ^= 1; return b }, ReasonMICMismatch},
		{"flags changed", func(b []byte) []byte { b[61] ^= byte(FlagAlwaysSign >> 8); return b }, ReasonMICMismatch},
		{"anonymous flag", func(b []byte) []byte { b[61] |= byte(FlagAnonymous >> 8); return b }, ReasonAnonymous},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tamperedAccept(t, tc.edit)
			var ae *AuthError
			if !errors.As(err, &ae) || ae.Reason != tc.want {
				t.Fatalf("want %v, got %v", tc.want, err)
			}
		})
	}
}

func TestAcceptRefusesNTLMv1(t *testing.T) {
	err := tamperedAccept(t, func(b []byte) []byte {
		m, err := ParseAuthenticate(b)
		if err != nil {
			t.Fatal(err)
		}
		m.NtChallengeResponse = m.NtChallengeResponse[:24]
		out, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return out
	})
	var ae *AuthError
	if !errors.As(err, &ae) || ae.Reason != ReasonNTLMv1 {
		t.Fatalf("got %v", err)
	}
}

func TestHandshakeOrder(t *testing.T) {
	a := NewAcceptor(testAcceptorConfig())
	var pe *ProtocolError
	if _, _, err := a.Accept(unhex(t, vec.authenticate), users); !errors.As(err, &pe) {
		t.Errorf("Accept before Challenge: %v", err)
	}
	if _, _, err := NewClient(ClientConfig{}).Authenticate(unhex(t, vec.challenge)); !errors.As(err, &pe) {
		t.Errorf("Authenticate before Negotiate: %v", err)
	}
	v1, _ := (&NegotiateMessage{Flags: FlagUnicode | FlagNTLM}).Marshal()
	if _, err := a.Challenge(v1); !errors.As(err, &pe) {
		t.Errorf("negotiate without ESS: %v", err)
	}
	neither, _ := (&NegotiateMessage{Flags: FlagNTLM | FlagExtendedSessionSecurity}).Marshal()
	if _, err := NewAcceptor(testAcceptorConfig()).Challenge(neither); !errors.As(err, &pe) {
		t.Errorf("negotiate without UNICODE or OEM: %v", err)
	}
	// ntlm-auth offers OEM alone; the challenge still says UNICODE, as Windows does.
	oem, _ := (&NegotiateMessage{Flags: FlagOEM | FlagNTLM | FlagExtendedSessionSecurity | FlagSeal}).Marshal()
	if b, err := NewAcceptor(testAcceptorConfig()).Challenge(oem); err != nil {
		t.Errorf("OEM negotiate: %v", err)
	} else if cm, err := ParseChallenge(b); err != nil || !cm.Flags.Has(FlagUnicode|FlagSeal) {
		t.Errorf("challenge to OEM negotiate: %v %v", cm, err)
	}
	// A wrong password cannot be retried against the same challenge.
	a = NewAcceptor(testAcceptorConfig())
	c := NewClient(ClientConfig{User: "alice", Password: "wrong"})
	nm, _ := c.Negotiate()
	cm, _ := a.Challenge(nm)
	am, _, _ := c.Authenticate(cm)
	if _, _, err := a.Accept(am, users); !errors.Is(err, ErrAuthenticationFailed) {
		t.Fatalf("first Accept: %v", err)
	}
	if _, _, err := a.Accept(am, users); !errors.As(err, &pe) {
		t.Errorf("second Accept: %v", err)
	}
}

func TestUnsealFailures(t *testing.T) {
	cs, ss, _, err := handshake(t, ClientConfig{User: "alice", Password: "S3cret!pässword"}, testAcceptorConfig())
	if err != nil {
		t.Fatal(err)
	}
	var ie *IntegrityError
	if _, err := ss.Unseal([]byte{1}, nil); !errors.As(err, &ie) {
		t.Fatalf("short signature: %v", err)
	}
	sig0, sealed0, _ := cs.Seal([]byte("first"))
	sig1, sealed1, _ := cs.Seal([]byte("second"))
	// Out of order: the second message first.
	if _, err := ss.Unseal(sig1, sealed1); !errors.As(err, &ie) || !strings.Contains(ie.Reason, "sequence") {
		t.Fatalf("out of order: %v", err)
	}
	// The incoming stream is now out of step; the session says so.
	if _, err := ss.Unseal(sig0, sealed0); !errors.As(err, &ie) || !strings.Contains(ie.Reason, "unusable") {
		t.Fatalf("after failure: %v", err)
	}

	cs, ss, _, _ = handshake(t, ClientConfig{User: "alice", Password: "S3cret!pässword"}, testAcceptorConfig())
	sig, sealed, _ := cs.Seal([]byte("payload"))
	sealed[0] ^= 0x80
	if _, err := ss.Unseal(sig, sealed); !errors.As(err, &ie) || !strings.Contains(ie.Reason, "checksum") {
		t.Fatalf("flipped bit: %v", err)
	}
}

func TestSplitUserName(t *testing.T) {
	for in, want := range map[string][2]string{
		`CORP\alice`:       {"CORP", "alice"},
		"alice@corp.local": {"", "alice@corp.local"},
		"alice":            {"", "alice"},
	} {
		if d, u := SplitUserName(in); d != want[0] || u != want[1] {
			t.Errorf("%q -> %q %q", in, d, u)
		}
	}
}
