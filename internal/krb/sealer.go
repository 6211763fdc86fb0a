package krb

import (
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/cimjob/cimjob/internal/msgenc"
)

// sealer is what the initiator and the acceptor share: the sealing of the
// session their handshake ends with (msgenc.Established; the session knows
// its side) and the HTTP scheme the tokens travel in.
type sealer struct {
	msgenc.Established
	scheme string
}

// Protocol is the msgenc protocol of the scheme.
func (s *sealer) Protocol() string {
	if s.scheme == SchemeKerberos {
		return msgenc.ProtocolKerberos
	}
	return msgenc.ProtocolSPNEGO
}

// Scheme is the HTTP scheme: SchemeNegotiate or SchemeKerberos.
func (s *sealer) Scheme() string { return s.scheme }

// contextKey is the key that protects messages (RFC 4121 2): the acceptor's
// subkey when the AP-REP carries one, else the initiator's subkey from the
// authenticator, else the ticket's session key. fromAcceptor says it is the
// acceptor's, which every wrap token then flags (0x04) both ways.
func contextKey(sessionKey, initiatorSubkey, acceptorSubkey types.EncryptionKey) (key types.EncryptionKey, fromAcceptor bool) {
	switch {
	case acceptorSubkey.KeyType != 0:
		return acceptorSubkey, true
	case initiatorSubkey.KeyType != 0:
		return initiatorSubkey, false
	}
	return sessionKey, false
}

// establish ends the handshake on this side: from now on messages are
// sealed with the context key and the two sequence numbers.
func (s *sealer) establish(acceptor bool, sessionKey, initiatorSubkey, acceptorSubkey types.EncryptionKey, sendSeq, recvSeq uint64) error {
	key, fromAcceptor := contextKey(sessionKey, initiatorSubkey, acceptorSubkey)
	sess, err := newSession(key, acceptor, fromAcceptor, sendSeq, recvSeq)
	if err != nil {
		return err
	}
	s.Session = sess
	return nil
}
