package ntlm

import (
	"crypto/hmac"
	"crypto/rc4"
	"encoding/binary"
	"strconv"
	"sync"
)

// SignatureSize is the size of an NTLMSSP_MESSAGE_SIGNATURE.
const SignatureSize = 16

// Session is the session security of one authenticated connection
// (MS-NLMP 3.4) under extended session security: one RC4 stream, signing
// key and sequence number per direction. Seal/Unseal and Sign/Verify share
// each direction's RC4 stream and sequence, so messages must be processed
// in the order the peer produced them. After a failed Unseal or Verify the
// incoming stream is out of step with the peer and the session refuses
// further incoming messages: the connection must be dropped.
type Session struct {
	mu       sync.Mutex
	flags    NegotiateFlags
	out, in  direction
	inBroken bool
}

type direction struct {
	signKey []byte
	seal    *rc4.Cipher
	seq     uint32
}

// newSession derives both directions from the ExportedSessionKey; client
// says which side this end is.
func newSession(flags NegotiateFlags, exportedSessionKey []byte, client bool) *Session {
	mk := func(clientToServer bool) direction {
		c, err := rc4.NewCipher(sealKey(flags, exportedSessionKey, clientToServer))
		if err != nil {
			panic(err) // unreachable: seal keys are 16-byte MD5 outputs
		}
		return direction{signKey: signKey(exportedSessionKey, clientToServer), seal: c}
	}
	return &Session{flags: flags, out: mk(client), in: mk(!client)}
}

// Flags returns the negotiated flags the session runs under.
func (s *Session) Flags() NegotiateFlags { return s.flags }

// mac is the MAC of MS-NLMP 3.4.4.2: version 1, the first 8 bytes of
// HMAC_MD5(SigningKey, SeqNum || Message), RC4-encrypted with the direction's
// sealing stream when KEY_EXCH was negotiated, and SeqNum.
func (s *Session) mac(d *direction, msg []byte) []byte {
	var seq [4]byte
	binary.LittleEndian.PutUint32(seq[:], d.seq)
	checksum := hmacMD5(d.signKey, seq[:], msg)[:8]
	if s.flags.Has(FlagKeyExchange) {
		d.seal.XORKeyStream(checksum, checksum)
	}
	sig := make([]byte, 0, SignatureSize)
	sig = append(sig, 1, 0, 0, 0)
	sig = append(sig, checksum...)
	sig = append(sig, seq[:]...)
	d.seq++
	return sig
}

// Seal encrypts plain for the peer and returns the signature and the sealed
// bytes (GSS_WrapEx). The sealed bytes are as long as plain.
func (s *Session) Seal(plain []byte) (signature, sealed []byte, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sealed = make([]byte, len(plain))
	s.out.seal.XORKeyStream(sealed, plain)
	return s.mac(&s.out, plain), sealed, nil
}

// Unseal decrypts a message from the peer and verifies its signature
// (GSS_UnwrapEx).
func (s *Session) Unseal(signature, sealed []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkIn(signature); err != nil {
		return nil, err
	}
	plain := make([]byte, len(sealed))
	s.in.seal.XORKeyStream(plain, sealed)
	if err := s.verifyIn(plain, signature); err != nil {
		return nil, err
	}
	return plain, nil
}

// Sign returns a signature over msg without encrypting it (GSS_GetMIC).
func (s *Session) Sign(msg []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mac(&s.out, msg), nil
}

// Verify checks a signature from the peer over msg (GSS_VerifyMIC).
func (s *Session) Verify(msg, signature []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkIn(signature); err != nil {
		return err
	}
	return s.verifyIn(msg, signature)
}

func (s *Session) checkIn(signature []byte) error {
	if s.inBroken {
		return &IntegrityError{Seq: s.in.seq, Reason: "session unusable after an earlier integrity failure"}
	}
	if len(signature) != SignatureSize {
		// Nothing consumed yet: the stream is still in step.
		return &IntegrityError{Seq: s.in.seq, Reason: "signature is not 16 bytes"}
	}
	return nil
}

func (s *Session) verifyIn(msg, signature []byte) error {
	seq := s.in.seq
	want := s.mac(&s.in, msg)
	if !hmac.Equal(want, signature) {
		s.inBroken = true
		reason := "checksum does not match"
		if got := binary.LittleEndian.Uint32(signature[12:]); got != seq {
			reason = "sequence number " + strconv.FormatUint(uint64(got), 10) + " out of order"
		} else if binary.LittleEndian.Uint32(signature[:4]) != 1 {
			reason = "signature version is not 1"
		}
		return &IntegrityError{Seq: seq, Reason: reason}
	}
	return nil
}
