package krb

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/types"
)

// pair makes both ends of an established context sharing key.
func pair(t *testing.T, keyType int32, acceptorSubkey bool) (initiator, acceptor *session) {
	t.Helper()
	key, err := randomKey(keyType)
	if err != nil {
		t.Fatal(err)
	}
	i, err := newSession(key, false, acceptorSubkey, 1000, 7)
	if err != nil {
		t.Fatal(err)
	}
	a, err := newSession(key, true, acceptorSubkey, 7, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return i, a
}

func TestSealRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		etype   int32
		sigLen  int // header 16 + RRC (16 + checksum) + confounder 16
		subkey  bool
		message string
	}{
		{"aes256-sha1", etypeID.AES256_CTS_HMAC_SHA1_96, 60, true, "<s:Envelope/>"},
		{"aes128-sha1", etypeID.AES128_CTS_HMAC_SHA1_96, 60, false, "x"},
		{"aes128-sha1 block-sized", etypeID.AES128_CTS_HMAC_SHA1_96, 60, true, "sixteen bytes!!!"},
		{"aes256-sha1 empty", etypeID.AES256_CTS_HMAC_SHA1_96, 60, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i, a := pair(t, tt.etype, tt.subkey)
			for n := 0; n < 3; n++ { // sequence numbers advance per direction
				for _, dir := range []struct{ from, to *session }{{i, a}, {a, i}} {
					sig, sealed, err := dir.from.Seal([]byte(tt.message))
					if err != nil {
						t.Fatal(err)
					}
					if len(sig) != tt.sigLen || len(sealed) != len(tt.message) {
						t.Fatalf("signature %d bytes, sealed %d; want %d and %d", len(sig), len(sealed), tt.sigLen, len(tt.message))
					}
					if rrc := binary.BigEndian.Uint16(sig[6:]); int(rrc) != tt.sigLen-32 {
						t.Errorf("RRC %d", rrc)
					}
					if ec := binary.BigEndian.Uint16(sig[4:]); ec != 0 {
						t.Errorf("EC %d", ec)
					}
					if len(tt.message) > 4 && bytes.Contains(sealed, []byte(tt.message)) {
						t.Error("message travels in clear")
					}
					got, err := dir.to.Unseal(sig, sealed)
					if err != nil {
						t.Fatal(err)
					}
					if string(got) != tt.message {
						t.Fatalf("unsealed %q", got)
					}
				}
			}
		})
	}
}

// Flags as RFC 4121 4.2.2 sets them for each side.
func TestSealFlags(t *testing.T) {
	i, a := pair(t, etypeID.AES256_CTS_HMAC_SHA1_96, true)
	sig, _, _ := i.Seal([]byte("m"))
	if sig[2] != flagSealed|flagAcceptorSubkey {
		t.Errorf("initiator flags %#x", sig[2])
	}
	sig, _, _ = a.Seal([]byte("m"))
	if sig[2] != flagSealed|flagAcceptorSubkey|flagSentByAcceptor {
		t.Errorf("acceptor flags %#x", sig[2])
	}
	if seq := binary.BigEndian.Uint64(sig[8:]); seq != 7 {
		t.Errorf("acceptor's first sequence number %d, want 7", seq)
	}
}

// Receivers must honour any RRC (RFC 4121 4.2.5), and the split point of
// signature and data is the sender's business.
func TestUnsealAnyRotationAndSplit(t *testing.T) {
	i, a := pair(t, etypeID.AES256_CTS_HMAC_SHA1_96, true)
	for _, rrc := range []int{0, 5, 28, 60, 1000} {
		sig, sealed, err := i.Seal([]byte("rotate me please"))
		if err != nil {
			t.Fatal(err)
		}
		tok := append(append([]byte{}, sig...), sealed...)
		body := tok[16:]
		// Back to RRC 0, then rotate right by rrc.
		r := 28 % len(body)
		plain := append(append([]byte{}, body[r:]...), body[:r]...)
		k := rrc % len(plain)
		rot := append(append([]byte{}, plain[len(plain)-k:]...), plain[:len(plain)-k]...)
		hdr := append([]byte{}, tok[:16]...)
		binary.BigEndian.PutUint16(hdr[6:], uint16(rrc))
		re := append(hdr, rot...)
		got, err := a.Unseal(re[:20], re[20:])
		if err != nil {
			t.Fatalf("RRC %d: %v", rrc, err)
		}
		if string(got) != "rotate me please" {
			t.Fatalf("RRC %d: %q", rrc, got)
		}
	}
}

func TestUnsealRefuses(t *testing.T) {
	mutate := func(f func(tok []byte) []byte) func(sig, sealed []byte) ([]byte, []byte) {
		return func(sig, sealed []byte) ([]byte, []byte) {
			tok := f(append(append([]byte{}, sig...), sealed...))
			return tok[:len(tok)/2], tok[len(tok)/2:]
		}
	}
	tests := []struct {
		name   string
		change func(sig, sealed []byte) ([]byte, []byte)
		check  func(error) bool
	}{
		{"flipped ciphertext", mutate(func(t []byte) []byte { t[len(t)-1] ^= 1; return t }), isWrap},
		{"flipped checksum", mutate(func(t []byte) []byte { t[20] ^= 1; return t }), isWrap},
		{"wrong TOK_ID", mutate(func(t []byte) []byte { t[0] = 4; return t }), isWrap},
		{"bad filler", mutate(func(t []byte) []byte { t[3] = 0; return t }), isWrap},
		{"not sealed", mutate(func(t []byte) []byte { t[2] &^= flagSealed; return t }), isWrap},
		{"unknown flag", mutate(func(t []byte) []byte { t[2] |= 0x10; return t }), isWrap},
		{"no acceptor subkey flag", mutate(func(t []byte) []byte { t[2] &^= flagAcceptorSubkey; return t }), isWrap},
		{"header seq changed", mutate(func(t []byte) []byte { t[15] ^= 1; return t }), isWrap},
		{"huge EC", mutate(func(t []byte) []byte { t[4] = 0xff; return t }), isWrap},
		{"truncated", func(sig, sealed []byte) ([]byte, []byte) { return sig[:10], nil }, isWrap},
		{"empty", func(sig, sealed []byte) ([]byte, []byte) { return nil, nil }, isWrap},
		{"short body", func(sig, sealed []byte) ([]byte, []byte) { return sig[:40], nil }, isWrap},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i, a := pair(t, etypeID.AES256_CTS_HMAC_SHA1_96, true)
			sig, sealed, err := i.Seal([]byte("a message to tamper with"))
			if err != nil {
				t.Fatal(err)
			}
			s2, d2 := tt.change(sig, sealed)
			if _, err := a.Unseal(s2, d2); !tt.check(err) {
				t.Errorf("got %v", err)
			}
			// The failure consumed no sequence number: the genuine token
			// still opens.
			if _, err := a.Unseal(sig, sealed); err != nil {
				t.Errorf("genuine token after a refused one: %v", err)
			}
		})
	}
}

func isWrap(err error) bool {
	var we *WrapError
	return errors.As(err, &we)
}

// A token reflected back to its sender, a replay and a gap are refused.
func TestUnsealDirectionAndSequence(t *testing.T) {
	i, a := pair(t, etypeID.AES128_CTS_HMAC_SHA1_96, true)
	sig, sealed, _ := i.Seal([]byte("one"))
	if _, err := i.Unseal(sig, sealed); !isWrap(err) {
		t.Errorf("reflected token: %v", err)
	}
	if _, err := a.Unseal(sig, sealed); err != nil {
		t.Fatal(err)
	}
	var se *SequenceError
	if _, err := a.Unseal(sig, sealed); !errors.As(err, &se) || se.Got != 1000 || se.Want != 1001 {
		t.Errorf("replay: %v", err)
	}
	i.Seal([]byte("dropped"))
	sig, sealed, _ = i.Seal([]byte("three"))
	if _, err := a.Unseal(sig, sealed); !errors.As(err, &se) {
		t.Errorf("gap: %v", err)
	}
}

func TestSessionRefusesOldEtypes(t *testing.T) {
	for _, et := range []int32{etypeID.RC4_HMAC, etypeID.DES3_CBC_SHA1_KD, etypeID.AES256_CTS_HMAC_SHA384_192, 0, 99} {
		var ue *UnsupportedEtypeError
		if _, err := newSession(types.EncryptionKey{KeyType: et, KeyValue: make([]byte, 16)}, false, false, 0, 0); !errors.As(err, &ue) {
			t.Errorf("etype %d: %v", et, err)
		}
	}
}

// RFC 3962 Appendix B: the string-to-key results the AES etypes must give
// (checks that the etype wiring this package relies on is the RFC's).
func TestRFC3962StringToKey(t *testing.T) {
	tests := []struct {
		etype      int32
		iterations string // s2kparams, big-endian iteration count
		password   string
		salt       string
		key        string
	}{
		{etypeID.AES128_CTS_HMAC_SHA1_96, "00000001", "password", "ATHENA.MIT.EDUraeburn", "42263c6e89f4fc28b8df68ee09799f15"},
		{etypeID.AES256_CTS_HMAC_SHA1_96, "00000001", "password", "ATHENA.MIT.EDUraeburn", "fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161"},
		{etypeID.AES128_CTS_HMAC_SHA1_96, "000004b0", "password", "ATHENA.MIT.EDUraeburn", "4c01cd46d632d01e6dbe230a01ed642a"},
	}
	for _, tt := range tests {
		et, err := crypto.GetEtype(tt.etype)
		if err != nil {
			t.Fatal(err)
		}
		k, err := et.StringToKey(tt.password, tt.salt, tt.iterations)
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(k) != tt.key {
			t.Errorf("etype %d iterations %s: %x, want %s", tt.etype, tt.iterations, k, tt.key)
		}
	}
}
