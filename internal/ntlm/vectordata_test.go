package ntlm

import (
	"encoding/hex"
	"testing"
)

// The NTLMv2 example of MS-NLMP 4.2.4 (common values in 4.2.1): user "User",
// domain "Domain", password "Password", workstation "COMPUTER", server
// challenge 0123456789abcdef, client challenge aa*8, RandomSessionKey 55*16,
// time 0. The byte strings are the specification's; the server-to-client
// sealing values are those published for the same keys by ntlm-auth's tests.
var vec = struct {
	challenge, authenticate             string
	responseKeyNT, ntProofStr, lmv2     string
	sessionBaseKey, encryptedSessionKey string
	clientSignKey, clientSealKey        string
	plaintext                           string
	clientSealed, clientSignature       string
	serverSealed, serverSignature       string
}{
	challenge: "4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef" +
		"00000000000000002400240044000000060070170000000f530065007200760065007200" +
		"02000c0044006f006d00610069006e0001000c0053006500720076006500720000000000",
	authenticate: "4e544c4d5353500003000000180018006c00000054005400840000000c000c0048000000" +
		"080008005400000010001000" + "5c00000010001000d8000000358288e20501280a0000000f" +
		"44006f006d00610069006e00550073006500720043004f004d005000550054004500520086c3" +
		"5097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa68cd0ab851e51c96aabc927bebef6a1c" +
		"01010000000000000000000000000000aaaaaaaaaaaaaaaa0000000002000c0044006f006d00" +
		"610069006e0001000c005300650072007600650072000000000000000000c5dad2544fc97990" +
		"94ce1ce90bc9d03e",
	responseKeyNT:       "0c868a403bfd7a93a3001ef22ef02e3f",
	ntProofStr:          "68cd0ab851e51c96aabc927bebef6a1c",
	lmv2:                "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa",
	sessionBaseKey:      "8de40ccadbc14a82f15cb0ad0de95ca3",
	encryptedSessionKey: "c5dad2544fc9799094ce1ce90bc9d03e",
	clientSignKey:       "4788dc861b4782f35d43fd98fe1a2d39",
	clientSealKey:       "59f600973cc4960a25480a7c196e4c58",
	plaintext:           "50006c00610069006e007400650078007400", // "Plaintext" in UTF-16LE
	clientSealed:        "54e50165bf1936dc996020c1811b0f06fb5f",
	clientSignature:     "010000007fb38ec5c55d497600000000",
	serverSealed:        "160871b730ba74e946c453d7465b54278dd0",
	serverSignature:     "01000000b298b847ce7c580700000000",
}

const vecFlags = NegotiateFlags(0xe2888235) // the AUTHENTICATE_MESSAGE's flags

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex in test: %v", err)
	}
	return b
}

func checkHex(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	if h := hex.EncodeToString(got); h != want {
		t.Errorf("%s:\n got %s\nwant %s", what, h, want)
	}
}
