package ntlm

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

// The parsers must return an error or a message for any input, never panic,
// and what they return must marshal again.

func seed(f *testing.F, hexes ...string) {
	for _, h := range hexes {
		b, err := hex.DecodeString(h)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte("NTLMSSP\x00"))
}

func FuzzParseNegotiate(f *testing.F) {
	b, _ := (&NegotiateMessage{Flags: FlagUnicode | FlagVersion, Version: &DefaultVersion, Domain: "D"}).Marshal()
	seed(f, hex.EncodeToString(b), "4e544c4d535350000100000001820800")
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseNegotiate(b)
		if err == nil {
			if _, err := m.Marshal(); err != nil {
				t.Fatalf("parsed message does not marshal: %v", err)
			}
		}
	})
}

func FuzzParseChallenge(f *testing.F) {
	seed(f, vec.challenge)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseChallenge(b)
		if err == nil && m.Flags.Has(FlagUnicode) {
			if _, err := m.Marshal(); err != nil {
				t.Fatalf("parsed message does not marshal: %v", err)
			}
		}
	})
}

func FuzzParseAuthenticate(f *testing.F) {
	seed(f, vec.authenticate)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseAuthenticate(b)
		if err == nil && m.Flags.Has(FlagUnicode) {
			if _, err := m.Marshal(); err != nil {
				t.Fatalf("parsed message does not marshal: %v", err)
			}
		}
	})
}

func FuzzParseAVPairs(f *testing.F) {
	seed(f, "02000c0044006f006d00610069006e0001000c0053006500720076006500720000000000")
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseAVPairs(b)
		if err == nil {
			if _, err := ParseAVPairs(p.Marshal()); err != nil {
				t.Fatalf("re-marshalled list does not parse: %v", err)
			}
		}
	})
}

// The handshake steps take what the peer sent. A fixed clock and fixed
// random bytes make every acceptor send the same challenge, so that a seed
// AUTHENTICATE_MESSAGE made for it verifies (MIC included) and the fuzzer
// starts past the NTLMv2 proof.

var fuzzTime = filetimeEpoch.AddDate(424, 0, 0) // 2025

// fuzzAcceptor is the same acceptor on every call: same server challenge,
// same timestamp.
func fuzzAcceptor(noTimestamp bool) *Acceptor {
	cfg := testAcceptorConfig()
	cfg.NoTimestamp = noTimestamp
	cfg.Rand = bytes.NewReader(bytes.Repeat([]byte{0x42}, 8))
	cfg.Now = func() time.Time { return fuzzTime }
	return NewAcceptor(cfg)
}

// fuzzClient is the same client on every call.
func fuzzClient() *Client {
	return NewClient(ClientConfig{
		User: "alice", Domain: "CORP", Password: "S3cret!pässword", Host: "hv01.corp.example",
		Rand: fixedRand(), Now: func() time.Time { return fuzzTime },
	})
}

// fuzzHandshake runs a genuine handshake and returns its messages.
func fuzzHandshake(tb testing.TB) (nm, cm, am []byte, client, server *Session) {
	tb.Helper()
	c := fuzzClient()
	a := fuzzAcceptor(false)
	nm, err := c.Negotiate()
	if err != nil {
		tb.Fatal(err)
	}
	if cm, err = a.Challenge(nm); err != nil {
		tb.Fatal(err)
	}
	if am, client, err = c.Authenticate(cm); err != nil {
		tb.Fatal(err)
	}
	if server, _, err = a.Accept(am, users); err != nil {
		tb.Fatalf("seed AUTHENTICATE_MESSAGE does not verify: %v", err)
	}
	return nm, cm, am, client, server
}

// The client's second step reads the server's CHALLENGE_MESSAGE: no input
// may panic it, and whatever it answers signs channel bindings and a
// target name of its own, never the server's.
func FuzzClientAuthenticate(f *testing.F) {
	nm, cm, _, _, _ := fuzzHandshake(f)
	f.Add(cm)
	f.Add(unhex(f, vec.challenge))
	f.Add(hostileChallenge(f, nm, true))
	f.Add(hostileChallenge(f, nm, false))
	f.Add(cm[:len(cm)-5])
	f.Fuzz(func(t *testing.T, in []byte) {
		c := fuzzClient()
		if _, err := c.Negotiate(); err != nil {
			t.Fatal(err)
		}
		out, _, err := c.Authenticate(in)
		if err != nil {
			return
		}
		m, err := ParseAuthenticate(out)
		if err != nil {
			t.Fatalf("own AUTHENTICATE_MESSAGE does not parse: %v", err)
		}
		pairs := signedPairs(t, m)
		if cb := all(pairs, AvChannelBindings); len(cb) != 1 || !bytes.Equal(cb[0], zeroBindings) {
			t.Fatalf("signed MsvAvChannelBindings %x, want only zeros", cb)
		}
		if tn := all(pairs, AvTargetName); len(tn) != 1 || pairs.String(AvTargetName) != "HTTP/hv01.corp.example" {
			t.Fatalf("signed MsvAvTargetName %q", tn)
		}
		if _, stamped := pairs.Timestamp(); !stamped || m.MIC == nil {
			t.Fatal("a challenge without timestamp was answered, or without a MIC")
		}
	})
}

// The acceptor's second step reads the client's AUTHENTICATE_MESSAGE and
// verifies its NTLMv2 proof and MIC: no input may panic it, and one that
// passes names the user the proof was made for.
func FuzzAcceptorAccept(f *testing.F) {
	nm, _, am, _, _ := fuzzHandshake(f)
	f.Add(am)
	f.Add(unhex(f, vec.authenticate))
	f.Add(am[:micOffset+micSize])
	f.Fuzz(func(t *testing.T, in []byte) {
		a := fuzzAcceptor(false)
		if _, err := a.Challenge(nm); err != nil {
			t.Fatal(err)
		}
		_, id, err := a.Accept(in, users)
		if err == nil && !strings.EqualFold(id.User, "alice") {
			t.Fatalf("accepted as %q", id.User)
		}
	})
}

// Sealed messages come from the network: no input may panic Unseal, and
// the only input it accepts at sequence 0 is the one the peer would seal.
func FuzzSessionUnseal(f *testing.F) {
	_, _, _, client, server := fuzzHandshake(f)
	for _, plain := range [][]byte{[]byte("<s:Envelope/>"), {}, bytes.Repeat([]byte{0}, 100)} {
		sig, sealed, err := client.Seal(plain)
		if err != nil {
			f.Fatal(err)
		}
		if _, err := server.Unseal(sig, sealed); err != nil {
			f.Fatalf("seed does not unseal: %v", err)
		}
		f.Add(append(sig, sealed...))
		// Later ones get a fresh pair of sessions: each seed at sequence 0.
		_, _, _, client, server = fuzzHandshake(f)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		_, _, _, client, server := fuzzHandshake(t)
		sig, sealed := in[:min(len(in), 16)], in[min(len(in), 16):]
		plain, err := server.Unseal(sig, sealed)
		if err != nil {
			return
		}
		wantSig, wantSealed, err := client.Seal(plain)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(wantSig, sig) || !bytes.Equal(wantSealed, sealed) {
			t.Fatalf("accepted a message the client would not have sealed: %x", in)
		}
	})
}
