package ntlm

import (
	"encoding/hex"
	"testing"
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
