package ntlm

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rc4"
	"strings"

	"golang.org/x/crypto/md4"
)

// The NTLMv2 functions of MS-NLMP 3.3.2 and the key derivations of 3.4.5.
// Names follow the specification so the code can be read beside it.

func hmacMD5(key []byte, parts ...[]byte) []byte {
	h := hmac.New(md5.New, key)
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// ntowfV1 is MD4(UNICODE(Password)), the NT hash.
func ntowfV1(password string) []byte {
	h := md4.New()
	h.Write(toUTF16(password))
	return h.Sum(nil)
}

// ntowfV2 is NTOWFv2 = HMAC_MD5(MD4(UNICODE(Passwd)), UNICODE(Upper(User) + UserDom)).
// The user name is upper-cased, the domain is not.
func ntowfV2(password, user, domain string) []byte {
	return hmacMD5(ntowfV1(password), toUTF16(strings.ToUpper(user)+domain))
}

// ntlmv2Temp builds the NTLMv2_CLIENT_CHALLENGE ("temp" in MS-NLMP 3.3.2):
// RespType 1, HiRespType 1, reserved, time, client challenge, reserved, the
// AV pairs with their EOL, and 4 zero bytes.
func ntlmv2Temp(timestamp, clientChallenge []byte, pairs AVPairs) []byte {
	b := []byte{1, 1, 0, 0, 0, 0, 0, 0}
	b = append(b, timestamp...)
	b = append(b, clientChallenge...)
	b = append(b, 0, 0, 0, 0)
	b = append(b, pairs.Marshal()...)
	return append(b, 0, 0, 0, 0)
}

// ntlmv2Response returns NtChallengeResponse (NTProofStr || temp) and the
// SessionBaseKey for a ResponseKeyNT and server challenge.
func ntlmv2Response(responseKeyNT, serverChallenge, temp []byte) (response, sessionBaseKey []byte) {
	ntProofStr := hmacMD5(responseKeyNT, serverChallenge, temp)
	return append(ntProofStr, temp...), hmacMD5(responseKeyNT, ntProofStr)
}

// lmv2Response is HMAC_MD5(ResponseKeyLM, ServerChallenge || ClientChallenge)
// || ClientChallenge; ResponseKeyLM equals ResponseKeyNT in NTLMv2.
func lmv2Response(responseKeyLM, serverChallenge, clientChallenge []byte) []byte {
	return append(hmacMD5(responseKeyLM, serverChallenge, clientChallenge), clientChallenge...)
}

// rc4k is RC4K(key, data): a one-shot RC4 with a fresh key schedule, used for
// the key exchange in both directions (RC4 is its own inverse).
func rc4k(key, data []byte) []byte {
	c, err := rc4.NewCipher(key)
	if err != nil {
		// Unreachable: every key here is an MD5 or HMAC-MD5 output (16 bytes),
		// and rc4 only refuses lengths outside 1..256.
		panic(err)
	}
	out := make([]byte, len(data))
	c.XORKeyStream(out, data)
	return out
}

// Magic constants of SIGNKEY and SEALKEY, NUL-terminated as MS-NLMP 3.4.5.2-3 says.
var (
	clientSignMagic = []byte("session key to client-to-server signing key magic constant\x00")
	serverSignMagic = []byte("session key to server-to-client signing key magic constant\x00")
	clientSealMagic = []byte("session key to client-to-server sealing key magic constant\x00")
	serverSealMagic = []byte("session key to server-to-client sealing key magic constant\x00")
)

// signKey is SIGNKEY under extended session security.
func signKey(exportedSessionKey []byte, client bool) []byte {
	magic := serverSignMagic
	if client {
		magic = clientSignMagic
	}
	sum := md5.Sum(append(append([]byte(nil), exportedSessionKey...), magic...))
	return sum[:]
}

// sealKey is SEALKEY under extended session security: the key is cut to
// 16, 7 or 5 bytes by the 128 and 56 flags before hashing.
func sealKey(flags NegotiateFlags, exportedSessionKey []byte, client bool) []byte {
	key := exportedSessionKey
	switch {
	case flags.Has(Flag128):
	case flags.Has(Flag56):
		key = key[:7]
	default:
		key = key[:5]
	}
	magic := serverSealMagic
	if client {
		magic = clientSealMagic
	}
	sum := md5.Sum(append(append([]byte(nil), key...), magic...))
	return sum[:]
}

// computeMIC is HMAC_MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE ||
// AUTHENTICATE), the AUTHENTICATE_MESSAGE taken with its MIC field zeroed.
func computeMIC(exportedSessionKey, negotiate, challenge, authenticate []byte) []byte {
	zeroed := append([]byte(nil), authenticate...)
	clear(zeroed[micOffset : micOffset+micSize])
	return hmacMD5(exportedSessionKey, negotiate, challenge, zeroed)
}
