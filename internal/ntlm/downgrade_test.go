package ntlm

import (
	"bytes"
	"errors"
	"testing"
)

// tamperedChallenge is what a man in the middle makes of a genuine
// CHALLENGE_MESSAGE answering nm: tamper changes it, and the timestamp is
// removed unless keepTimestamp, so that the client would send no MIC.
func tamperedChallenge(t testing.TB, nm []byte, keepTimestamp bool, tamper func(*ChallengeMessage)) []byte {
	t.Helper()
	genuine, err := NewAcceptor(testAcceptorConfig()).Challenge(nm)
	if err != nil {
		t.Fatal(err)
	}
	cm, err := ParseChallenge(genuine)
	if err != nil {
		t.Fatal(err)
	}
	var pairs AVPairs
	for _, p := range cm.TargetInfo {
		if p.ID != AvTimestamp || keepTimestamp {
			pairs = append(pairs, p)
		}
	}
	cm.TargetInfo = pairs
	tamper(cm)
	out, err := cm.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// downgradedChallenge has some flags cleared and no timestamp.
func downgradedChallenge(t *testing.T, nm []byte, strip NegotiateFlags) []byte {
	t.Helper()
	return tamperedChallenge(t, nm, false, func(cm *ChallengeMessage) { cm.Flags &^= strip })
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

func TestClientChallengeWithoutTimestamp(t *testing.T) {
	// Without a timestamp there is no MIC: refused unless the caller allows
	// a legacy server, and then only on flags.
	for _, allow := range []bool{false, true} {
		c := NewClient(ClientConfig{User: "alice", Domain: "CORP", Password: "S3cret!pässword", AllowNoTimestamp: allow})
		nm, err := c.Negotiate()
		if err != nil {
			t.Fatal(err)
		}
		am, sess, err := c.Authenticate(downgradedChallenge(t, nm, 0))
		if allow {
			if err != nil {
				t.Fatalf("AllowNoTimestamp: %v", err)
			}
			m, err := ParseAuthenticate(am)
			if err != nil {
				t.Fatal(err)
			}
			if pairs := signedPairs(t, m); pairs.Flags()&AvFlagMICPresent != 0 {
				t.Error("MsvAvFlags says MIC present, but there was no timestamp to send one for")
			}
			continue
		}
		var nte *NoTimestampError
		if !errors.As(err, &nte) {
			t.Fatalf("err = %v, want a *NoTimestampError", err)
		}
		if am != nil || sess != nil {
			t.Fatal("a refused challenge still produced an AUTHENTICATE_MESSAGE or a session")
		}
	}
}

// legacyAuthenticate answers challenge with the given flags as a client
// written apart from this one would; with mic it announces and sends a MIC
// (over nm, challenge and itself), without it it ignores the server's
// timestamp and sends none.
func legacyAuthenticate(t *testing.T, nm, challenge []byte, flags NegotiateFlags, mic bool) []byte {
	t.Helper()
	cm, err := ParseChallenge(challenge)
	if err != nil {
		t.Fatal(err)
	}
	pairs := cm.TargetInfo
	if mic {
		pairs = append(append(AVPairs(nil), pairs...), AVPair{ID: AvFlags, Value: []byte{byte(AvFlagMICPresent), 0, 0, 0}})
	}
	key := ntowfV2("S3cret!pässword", "alice", "CORP")
	clientChallenge := bytes.Repeat([]byte{7}, 8)
	nt, sessionBaseKey := ntlmv2Response(key, cm.ServerChallenge[:], ntlmv2Temp(Filetime(vecTime()), clientChallenge, pairs))
	exported := bytes.Repeat([]byte{9}, 16)
	am := &AuthenticateMessage{
		Flags:                     flags & cm.Flags,
		LmChallengeResponse:       lmv2Response(key, cm.ServerChallenge[:], clientChallenge),
		NtChallengeResponse:       nt,
		Domain:                    "CORP",
		User:                      "alice",
		EncryptedRandomSessionKey: rc4k(sessionBaseKey, exported),
	}
	if mic {
		am.Version = &DefaultVersion
		am.MIC = make([]byte, micSize)
	}
	out, err := am.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if mic {
		if !am.Flags.Has(FlagKeyExchange) {
			exported = sessionBaseKey
		}
		copy(out[micOffset:], computeMIC(exported, nm, challenge, out))
	}
	return out
}

// acceptLegacy runs an acceptor with cfg against legacyAuthenticate.
func acceptLegacy(t *testing.T, cfg AcceptorConfig, flags NegotiateFlags, mic bool) error {
	t.Helper()
	a := NewAcceptor(cfg)
	nm, err := NewClient(ClientConfig{}).Negotiate()
	if err != nil {
		t.Fatal(err)
	}
	cm, err := a.Challenge(nm)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = a.Accept(legacyAuthenticate(t, nm, cm, flags, mic), users)
	return err
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
			err := acceptLegacy(t, cfg, clientFlags&^tc.strip, true)
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
