package krb

import (
	"bytes"
	"encoding/binary"
	"sync"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/crypto/etype"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/types"
)

// RFC 4121 4.2.2 token flags.
const (
	flagSentByAcceptor = 0x01
	flagSealed         = 0x02
	flagAcceptorSubkey = 0x04
)

// wrapHeaderLen is the RFC 4121 4.2.6.2 token header: TOK_ID 05 04, Flags,
// Filler FF, EC, RRC, SND_SEQ.
const wrapHeaderLen = 16

// sealingEtypes are the etypes this package seals with: the AES-SHA1 ones
// Windows uses. RC4-HMAC and DES3 use the older RFC 1964/4757 token
// formats; the RFC 8009 SHA-2 etypes are left out because gokrb5 v8.4.4
// gets the aes256-cts-hmac-sha384-192 key size wrong.
var sealingEtypes = map[int32]bool{
	etypeID.AES128_CTS_HMAC_SHA1_96: true,
	etypeID.AES256_CTS_HMAC_SHA1_96: true,
}

// session is the per-message state of an established context: the key, the
// direction, and one sequence number per direction. RFC 4121 4.2.6.2 wrap
// tokens with confidentiality only.
type session struct {
	mu             sync.Mutex
	key            types.EncryptionKey
	et             etype.EType
	acceptor       bool // this side accepted the context
	acceptorSubkey bool // key is the acceptor's subkey (flag 0x04 both ways)
	sendSeq        uint64
	recvSeq        uint64
}

func newSession(key types.EncryptionKey, acceptor, acceptorSubkey bool, sendSeq, recvSeq uint64) (*session, error) {
	if !sealingEtypes[key.KeyType] {
		return nil, &UnsupportedEtypeError{Etype: key.KeyType}
	}
	et, err := crypto.GetEtype(key.KeyType)
	if err != nil {
		return nil, &UnsupportedEtypeError{Etype: key.KeyType}
	}
	if len(key.KeyValue) != et.GetKeyByteSize() {
		return nil, &WrapError{Reason: "session key has the wrong length for its type"}
	}
	return &session{key: key, et: et, acceptor: acceptor, acceptorSubkey: acceptorSubkey, sendSeq: sendSeq, recvSeq: recvSeq}, nil
}

func (s *session) sealUsage() uint32 {
	if s.acceptor {
		return keyusage.GSSAPI_ACCEPTOR_SEAL
	}
	return keyusage.GSSAPI_INITIATOR_SEAL
}

func (s *session) unsealUsage() uint32 {
	if s.acceptor {
		return keyusage.GSSAPI_INITIATOR_SEAL
	}
	return keyusage.GSSAPI_ACCEPTOR_SEAL
}

func (s *session) flags() byte {
	f := byte(flagSealed)
	if s.acceptor {
		f |= flagSentByAcceptor
	}
	if s.acceptorSubkey {
		f |= flagAcceptorSubkey
	}
	return f
}

func wrapHeader(flags byte, ec, rrc uint16, seq uint64) []byte {
	h := make([]byte, wrapHeaderLen)
	h[0], h[1], h[2], h[3] = 0x05, 0x04, flags, 0xff
	binary.BigEndian.PutUint16(h[4:], ec)
	binary.BigEndian.PutUint16(h[6:], rrc)
	binary.BigEndian.PutUint64(h[8:], seq)
	return h
}

// Seal wraps plain in a sealed wrap token and splits it as MS-WSMV 2.2.9.1
// carries it: the signature is the token header, the rotated trailer
// (encrypted header copy and checksum) and the encrypted confounder; the
// sealed data is the encrypted message, as long as plain.
//
// EC is 0 (CTS needs no padding) and RRC covers the whole trailer, which is
// what MIT's gss_wrap_iov produces with header, data and padding buffers
// and what Windows expects.
func (s *session) Seal(plain []byte) (signature, sealed []byte, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inner := wrapHeader(s.flags(), 0, 0, s.sendSeq)
	toEncrypt := make([]byte, 0, len(plain)+wrapHeaderLen)
	toEncrypt = append(append(toEncrypt, plain...), inner...)
	_, ct, err := s.et.EncryptMessage(s.key.KeyValue, toEncrypt, s.sealUsage())
	if err != nil {
		return nil, nil, &WrapError{Reason: "encrypt: " + err.Error()}
	}
	rrc := wrapHeaderLen + s.et.GetHMACBitLength()/8
	token := wrapHeader(s.flags(), 0, uint16(rrc), s.sendSeq)
	token = append(token, ct[len(ct)-rrc:]...)
	token = append(token, ct[:len(ct)-rrc]...)
	s.sendSeq++
	cut := wrapHeaderLen + rrc + s.et.GetConfounderByteSize()
	return token[:cut:cut], token[cut:], nil
}

// Unseal joins signature and sealed data back into one wrap token (wherever
// the sender split it), checks it came from the peer in sequence, and
// decrypts it.
func (s *session) Unseal(signature, sealed []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	token := make([]byte, 0, len(signature)+len(sealed))
	token = append(append(token, signature...), sealed...)
	if len(token) < wrapHeaderLen {
		return nil, &WrapError{Reason: "token shorter than its header"}
	}
	h := token[:wrapHeaderLen]
	if h[0] != 0x05 || h[1] != 0x04 {
		return nil, &WrapError{Reason: "not a wrap token (TOK_ID is not 05 04)"}
	}
	if h[3] != 0xff {
		return nil, &WrapError{Reason: "filler byte is not FF"}
	}
	flags := h[2]
	switch {
	case flags&^(flagSentByAcceptor|flagSealed|flagAcceptorSubkey) != 0:
		return nil, &WrapError{Reason: "unknown token flags"}
	case (flags&flagSentByAcceptor != 0) == s.acceptor:
		return nil, &WrapError{Reason: "token was sent by this side of the context (reflected)"}
	case flags&flagSealed == 0:
		return nil, &WrapError{Reason: "token is not sealed (integrity only); WinRM requires confidentiality"}
	case (flags&flagAcceptorSubkey != 0) != s.acceptorSubkey:
		return nil, &WrapError{Reason: "acceptor-subkey flag does not match the context"}
	}
	ec := int(binary.BigEndian.Uint16(h[4:]))
	rrc := int(binary.BigEndian.Uint16(h[6:]))
	seq := binary.BigEndian.Uint64(h[8:])
	body := token[wrapHeaderLen:]
	minLen := s.et.GetConfounderByteSize() + ec + wrapHeaderLen + s.et.GetHMACBitLength()/8
	if len(body) < minLen {
		return nil, &WrapError{Reason: "token too short for its etype"}
	}
	// Undo the right rotation (RFC 4121 4.2.5), for any RRC.
	r := rrc % len(body)
	ct := make([]byte, 0, len(body))
	ct = append(append(ct, body[r:]...), body[:r]...)
	pt, err := s.et.DecryptMessage(s.key.KeyValue, ct, s.unsealUsage())
	if err != nil {
		return nil, &WrapError{Reason: "decrypt or integrity check failed"}
	}
	if len(pt) < ec+wrapHeaderLen {
		return nil, &WrapError{Reason: "decrypted token too short"}
	}
	// The encrypted header copy has RRC 0 and must otherwise match.
	want := wrapHeader(flags, uint16(ec), 0, seq)
	if !bytes.Equal(pt[len(pt)-wrapHeaderLen:], want) {
		return nil, &WrapError{Reason: "encrypted header copy does not match the token header"}
	}
	if seq != s.recvSeq {
		return nil, &SequenceError{Got: seq, Want: s.recvSeq}
	}
	s.recvSeq++
	return pt[:len(pt)-wrapHeaderLen-ec], nil
}
