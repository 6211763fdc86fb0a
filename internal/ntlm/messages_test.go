package ntlm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

func TestParseChallengeVector(t *testing.T) {
	b := unhex(t, vec.challenge)
	cm, err := ParseChallenge(b)
	if err != nil {
		t.Fatal(err)
	}
	if cm.Flags != 0xe28a8233 {
		t.Errorf("flags %s", cm.Flags)
	}
	if cm.TargetName != "Server" {
		t.Errorf("TargetName %q", cm.TargetName)
	}
	if got := cm.TargetInfo.String(AvNbDomainName); got != "Domain" {
		t.Errorf("MsvAvNbDomainName %q", got)
	}
	if got := cm.TargetInfo.String(AvNbComputerName); got != "Server" {
		t.Errorf("MsvAvNbComputerName %q", got)
	}
	if cm.Version == nil || *cm.Version != (Version{6, 0, 6000, 15}) {
		t.Errorf("version %v", cm.Version)
	}
	again, err := cm.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, b) {
		t.Errorf("re-marshalled challenge differs:\n got %x\nwant %x", again, b)
	}
}

func TestParseAuthenticateVector(t *testing.T) {
	b := unhex(t, vec.authenticate)
	am, err := ParseAuthenticate(b)
	if err != nil {
		t.Fatal(err)
	}
	if am.Domain != "Domain" || am.User != "User" || am.Workstation != "COMPUTER" {
		t.Errorf("names %q %q %q", am.Domain, am.User, am.Workstation)
	}
	if am.MIC != nil {
		t.Errorf("MIC %x in a message whose payload starts at 72", am.MIC)
	}
	checkHex(t, "EncryptedRandomSessionKey", am.EncryptedRandomSessionKey, vec.encryptedSessionKey)
	again, err := am.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, b) {
		t.Errorf("re-marshalled authenticate differs")
	}
}

func TestNegotiateRoundTrip(t *testing.T) {
	for _, m := range []*NegotiateMessage{
		{Flags: FlagUnicode | FlagNTLM | FlagSeal | FlagVersion, Version: &DefaultVersion},
		{Flags: FlagUnicode | FlagNTLM, Domain: "DOM", Workstation: "WS"},
	} {
		b, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseNegotiate(b)
		if err != nil {
			t.Fatal(err)
		}
		if got.Domain != m.Domain || got.Workstation != m.Workstation || (got.Version == nil) != (m.Version == nil) {
			t.Errorf("round trip %+v -> %+v", m, got)
		}
		if m.Domain != "" && !got.Flags.Has(FlagOEMDomainSupplied|FlagOEMWorkstationSupplied) {
			t.Errorf("OEM supplied flags missing: %s", got.Flags)
		}
	}
	// Early clients send only signature, type and flags.
	short := append(append([]byte(nil), signature...), 1, 0, 0, 0, 0x01, 0x82, 0x08, 0x00)
	if _, err := ParseNegotiate(short); err != nil {
		t.Errorf("16-byte negotiate: %v", err)
	}
}

func TestAuthenticateMICLayout(t *testing.T) {
	am := &AuthenticateMessage{Flags: FlagUnicode | FlagVersion, User: "u", NtChallengeResponse: []byte{1, 2}, Version: &DefaultVersion, MIC: bytes.Repeat([]byte{7}, 16)}
	b, err := am.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseAuthenticate(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.MIC, am.MIC) || got.Version == nil || got.User != "u" {
		t.Errorf("got %+v", got)
	}
}

// setField rewrites the descriptor at `at` of a copy of b.
func setField(b []byte, at int, n uint16, off uint32) []byte {
	b = append([]byte(nil), b...)
	binary.LittleEndian.PutUint16(b[at:], n)
	binary.LittleEndian.PutUint16(b[at+2:], n)
	binary.LittleEndian.PutUint32(b[at+4:], off)
	return b
}

func TestMalformedMessages(t *testing.T) {
	ch := unhex(t, vec.challenge)
	au := unhex(t, vec.authenticate)
	badSig := append([]byte("NTLMSSQ\x00"), ch[8:]...)
	wrongType := append([]byte(nil), ch...)
	wrongType[8] = 3
	oddTI := append([]byte(nil), ch...)
	binary.LittleEndian.PutUint16(oddTI[len(ch)-36+2:], 200) // first AV pair claims 200 bytes
	noEOL := setField(ch, 40, 32, 68)                        // TargetInfo cut before its EOL
	oddUser := setField(au, 36, 7, 0x54)

	tests := []struct {
		name  string
		parse func([]byte) error
		in    []byte
		field string
	}{
		{"challenge empty", parseC, nil, ""},
		{"challenge truncated", parseC, ch[:47], ""},
		{"challenge bad signature", parseC, badSig, "Signature"},
		{"challenge wrong type", parseC, wrongType, "MessageType"},
		{"challenge TargetInfo past end", parseC, setField(ch, 40, 36, uint32(len(ch)-10)), "TargetInfo"},
		{"challenge TargetInfo huge offset", parseC, setField(ch, 40, 36, 0xFFFFFFFF), "TargetInfo"},
		{"challenge TargetName into header", parseC, setField(ch, 12, 12, 8), "TargetName"},
		{"challenge AV pair overruns", parseC, oddTI, ""},
		{"challenge AV list without EOL", parseC, noEOL, ""},
		{"challenge odd UTF-16 name", parseC, setField(ch, 12, 11, 56), "TargetName"},
		{"authenticate truncated", parseA, au[:63], ""},
		{"authenticate NT response past end", parseA, setField(au, 20, 0x54, uint32(len(au)-4)), "NtChallengeResponse"},
		{"authenticate odd user name", parseA, oddUser, "UserName"},
		{"negotiate truncated", parseN, signature, ""},
		{"negotiate domain past end", parseN, setField(mustNegotiate(t), 16, 4, 40), "DomainName"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.parse(tc.in)
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("want *FormatError, got %v", err)
			}
			if tc.field != "" && fe.Field != tc.field {
				t.Errorf("field %q, want %q (%v)", fe.Field, tc.field, err)
			}
		})
	}
}

func parseC(b []byte) error { _, err := ParseChallenge(b); return err }
func parseA(b []byte) error { _, err := ParseAuthenticate(b); return err }
func parseN(b []byte) error { _, err := ParseNegotiate(b); return err }

func mustNegotiate(t *testing.T) []byte {
	b, err := (&NegotiateMessage{Flags: FlagUnicode}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFlagsString(t *testing.T) {
	if got := (FlagUnicode | FlagSeal | 0x00000100).String(); got != "UNICODE|SEAL|reserved(0x00000100)" {
		t.Errorf("got %q", got)
	}
	if got := AVID(0x42).String(); got != "AvId(0x0042)" {
		t.Errorf("got %q", got)
	}
}
