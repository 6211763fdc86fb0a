package ntlm

import (
	"bytes"
	"errors"
	"testing"
)

// downgradedChallenge is what a man in the middle makes of a genuine
// CHALLENGE_MESSAGE: some flags cleared and, with them, the timestamp
// removed so that the client sends no MIC over the flags.
func downgradedChallenge(t *testing.T, nm []byte, strip NegotiateFlags) []byte {
	t.Helper()
	genuine, err := NewAcceptor(testAcceptorConfig()).Challenge(nm)
	if err != nil {
		t.Fatal(err)
	}
	cm, err := ParseChallenge(genuine)
	if err != nil {
		t.Fatal(err)
	}
	cm.Flags &^= strip
	var pairs AVPairs
	for _, p := range cm.TargetInfo {
		if p.ID != AvTimestamp {
			pairs = append(pairs, p)
		}
	}
	cm.TargetInfo = pairs
	out, err := cm.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestClientRefusesDowngradedChallenge(t *testing.T) {
	tests := []struct {
		name  string
		strip NegotiateFlags
	}{
		{"40-bit (no 128, no 56)", Flag128 | Flag56},
		{"56-bit (no 128)", Flag128},
		{"no SIGN", FlagSign},
		{"no SEAL", FlagSeal},
		{"no KEY_EXCH", FlagKeyExchange},
		{"no extended session security", FlagExtendedSessionSecurity},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := NewClient(ClientConfig{User: "alice", Domain: "CORP", Password: "S3cret!pässword"})
			nm, err := c.Negotiate()
			if err != nil {
				t.Fatal(err)
			}
			am, sess, err := c.Authenticate(downgradedChallenge(t, nm, tc.strip))
			var de *DowngradeError
			if !errors.As(err, &de) || de.Message != "CHALLENGE_MESSAGE" || de.Missing&tc.strip == 0 {
				t.Fatalf("err = %v, want a *DowngradeError naming %s", err, tc.strip)
			}
			if am != nil || sess != nil {
				t.Fatal("a refused challenge still produced an AUTHENTICATE_MESSAGE or a session")
			}
		})
	}
}

func TestClientAcceptsFullChallengeWithoutTimestamp(t *testing.T) {
	// The check is on flags, not on the MIC: an older server that sends no
	// timestamp but grants everything is still served.
	c := NewClient(ClientConfig{User: "alice", Domain: "CORP", Password: "S3cret!pässword"})
	nm, err := c.Negotiate()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Authenticate(downgradedChallenge(t, nm, 0)); err != nil {
		t.Fatal(err)
	}
}

// legacyAuthenticate answers challenge as a client that asks only for
// flags and ignores the server's timestamp (so sends no MIC) would.
func legacyAuthenticate(t *testing.T, challenge []byte, flags NegotiateFlags) []byte {
	t.Helper()
	cm, err := ParseChallenge(challenge)
	if err != nil {
		t.Fatal(err)
	}
	key := ntowfV2("S3cret!pässword", "alice", "CORP")
	clientChallenge := bytes.Repeat([]byte{7}, 8)
	nt, sessionBaseKey := ntlmv2Response(key, cm.ServerChallenge[:], ntlmv2Temp(Filetime(vecTime()), clientChallenge, cm.TargetInfo))
	am := &AuthenticateMessage{
		Flags:                     flags & cm.Flags,
		LmChallengeResponse:       lmv2Response(key, cm.ServerChallenge[:], clientChallenge),
		NtChallengeResponse:       nt,
		Domain:                    "CORP",
		User:                      "alice",
		EncryptedRandomSessionKey: rc4k(sessionBaseKey, bytes.Repeat([]byte{9}, 16)),
	}
	out, err := am.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAcceptorRefusesDowngradedAuthenticate(t *testing.T) {
	tests := []struct {
		name     string
		strip    NegotiateFlags
		optional bool
		wantErr  bool
	}{
		{"everything negotiated", 0, false, false},
		{"40-bit", Flag128 | Flag56, false, true},
		{"56-bit", Flag128, false, true},
		{"no SEAL", FlagSeal, false, true},
		{"no SIGN, as pywinrm sends it", FlagSign, false, false},
		{"no KEY_EXCH", FlagKeyExchange, false, true},
		{"40-bit, sealing optional", Flag128 | Flag56, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testAcceptorConfig()
			cfg.SealingOptional = tc.optional
			a := NewAcceptor(cfg)
			nm, err := NewClient(ClientConfig{}).Negotiate()
			if err != nil {
				t.Fatal(err)
			}
			cm, err := a.Challenge(nm)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = a.Accept(legacyAuthenticate(t, cm, clientFlags&^tc.strip), users)
			if !tc.wantErr {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var de *DowngradeError
			if !errors.As(err, &de) || de.Message != "AUTHENTICATE_MESSAGE" || de.Missing&tc.strip == 0 || !errors.Is(err, ErrAuthenticationFailed) {
				t.Fatalf("err = %v, want a *DowngradeError matching ErrAuthenticationFailed", err)
			}
		})
	}
}
