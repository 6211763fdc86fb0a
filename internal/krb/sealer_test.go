package krb

import (
	"testing"

	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/types"
)

// TestContextKey checks RFC 4121 2's order: the acceptor's subkey, then
// the initiator's, then the ticket's session key.
func TestContextKey(t *testing.T) {
	k := func(b byte) types.EncryptionKey {
		return types.EncryptionKey{KeyType: etypeID.AES256_CTS_HMAC_SHA1_96, KeyValue: []byte{b}}
	}
	none := types.EncryptionKey{}
	tests := []struct {
		name                         string
		session, initiator, acceptor types.EncryptionKey
		want                         byte
		fromAcceptor                 bool
	}{
		{"acceptor subkey wins", k(1), k(2), k(3), 3, true},
		{"initiator subkey without an acceptor one", k(1), k(2), none, 2, false},
		{"session key without subkeys", k(1), none, none, 1, false},
		{"acceptor subkey without an initiator one", k(1), none, k(3), 3, true},
	}
	for _, tc := range tests {
		key, from := contextKey(tc.session, tc.initiator, tc.acceptor)
		if key.KeyValue[0] != tc.want || from != tc.fromAcceptor {
			t.Errorf("%s: key %d, fromAcceptor %v; want %d, %v", tc.name, key.KeyValue[0], from, tc.want, tc.fromAcceptor)
		}
	}
}

// TestSealBeforeHandshake checks that neither side seals or opens a
// message before its handshake ends.
func TestSealBeforeHandshake(t *testing.T) {
	for _, s := range []interface {
		Seal([]byte) ([]byte, []byte, error)
		Unseal([]byte, []byte) ([]byte, error)
	}{&Initiator{}, NewAcceptor(AcceptorConfig{})} {
		if _, _, err := s.Seal([]byte("x")); err != ErrNotEstablished {
			t.Errorf("%T.Seal = %v, want ErrNotEstablished", s, err)
		}
		if _, err := s.Unseal(nil, []byte("x")); err != ErrNotEstablished {
			t.Errorf("%T.Unseal = %v, want ErrNotEstablished", s, err)
		}
	}
}
