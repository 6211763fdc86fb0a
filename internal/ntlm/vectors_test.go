package ntlm

import (
	"bytes"
	"encoding/hex"
	"testing"
	"time"
)

// fixedRand yields the client challenge, then the random session key.
func fixedRand() *bytes.Reader {
	return bytes.NewReader(append(bytes.Repeat([]byte{0xaa}, 8), bytes.Repeat([]byte{0x55}, 16)...))
}

func TestVectorCrypto(t *testing.T) {
	key := ntowfV2("Password", "User", "Domain")
	checkHex(t, "ResponseKeyNT", key, vec.responseKeyNT)
	checkHex(t, "ResponseKeyNT with lower-case user", ntowfV2("Password", "user", "Domain"), vec.responseKeyNT)
	if hex.EncodeToString(ntowfV2("Password", "User", "DOMAIN")) == vec.responseKeyNT {
		t.Error("NTOWFv2 must not upper-case the domain")
	}

	cm, err := ParseChallenge(unhex(t, vec.challenge))
	if err != nil {
		t.Fatal(err)
	}
	cc := bytes.Repeat([]byte{0xaa}, 8)
	temp := ntlmv2Temp(make([]byte, 8), cc, cm.TargetInfo)
	nt, sbk := ntlmv2Response(key, cm.ServerChallenge[:], temp)
	checkHex(t, "NTProofStr", nt[:16], vec.ntProofStr)
	checkHex(t, "SessionBaseKey", sbk, vec.sessionBaseKey)
	checkHex(t, "LMv2 response", lmv2Response(key, cm.ServerChallenge[:], cc), vec.lmv2)

	exported := bytes.Repeat([]byte{0x55}, 16)
	checkHex(t, "EncryptedRandomSessionKey", rc4k(sbk, exported), vec.encryptedSessionKey)
	checkHex(t, "client SIGNKEY", signKey(exported, true), vec.clientSignKey)
	checkHex(t, "client SEALKEY", sealKey(vecFlags, exported, true), vec.clientSealKey)
}

func TestVectorSealBothDirections(t *testing.T) {
	exported := bytes.Repeat([]byte{0x55}, 16)
	plain := unhex(t, vec.plaintext)
	for _, tc := range []struct {
		name        string
		client      bool
		sealed, sig string
	}{
		{"client to server", true, vec.clientSealed, vec.clientSignature},
		{"server to client", false, vec.serverSealed, vec.serverSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSession(vecFlags, exported, tc.client)
			sig, sealed, err := s.Seal(plain)
			if err != nil {
				t.Fatal(err)
			}
			checkHex(t, "sealed", sealed, tc.sealed)
			checkHex(t, "signature", sig, tc.sig)

			peer := newSession(vecFlags, exported, !tc.client)
			got, err := peer.Unseal(unhex(t, tc.sig), unhex(t, tc.sealed))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, plain) {
				t.Errorf("unsealed %x, want %x", got, plain)
			}
		})
	}
}

// vecTime is FILETIME 0, the example's time.
func vecTime() time.Time { return filetimeEpoch }

func TestVectorClientAuthenticateMessage(t *testing.T) {
	c := NewClient(ClientConfig{
		User: "User", Domain: "Domain", Password: "Password", Workstation: "COMPUTER",
		Version: &Version{Major: 5, Minor: 1, Build: 2600, Revision: RevisionW2K3},
		Rand:    fixedRand(), Now: vecTime,
		// The example's challenge has no timestamp, and its response signs
		// the server's TargetInfo with nothing added.
		AllowNoTimestamp: true, specExample: true,
	})
	if _, err := c.Negotiate(); err != nil {
		t.Fatal(err)
	}
	am, sess, err := c.Authenticate(unhex(t, vec.challenge))
	if err != nil {
		t.Fatal(err)
	}
	checkHex(t, "AUTHENTICATE_MESSAGE", am, vec.authenticate)
	sig, sealed, err := sess.Seal(unhex(t, vec.plaintext))
	if err != nil {
		t.Fatal(err)
	}
	checkHex(t, "sealed", sealed, vec.clientSealed)
	checkHex(t, "signature", sig, vec.clientSignature)
}
