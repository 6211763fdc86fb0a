package krb

import (
	"crypto/rand"
	"encoding/binary"
	"math/big"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana"
	"github.com/jcmturner/gokrb5/v8/iana/asnAppTag"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// GSS-API context flags (RFC 2744) carried in the authenticator checksum.
const (
	gssDeleg    = 1
	gssMutual   = 2
	gssReplay   = 4
	gssSequence = 8
	gssConf     = 16
	gssInteg    = 32
)

// gssChecksum is the RFC 4121 4.1.1 authenticator checksum: Lgth 16, the MD5
// of the channel bindings (zero without them), the context flags.
func gssChecksum(bindingsHash []byte, flags uint32) []byte {
	c := make([]byte, 24)
	binary.LittleEndian.PutUint32(c, 16)
	copy(c[4:20], bindingsHash)
	binary.LittleEndian.PutUint32(c[20:], flags)
	return c
}

// parseGSSChecksum returns the bindings hash and the flags of an
// authenticator checksum of type 0x8003.
func parseGSSChecksum(c []byte) (bnd []byte, flags uint32, err error) {
	if len(c) < 24 || binary.LittleEndian.Uint32(c) != 16 {
		return nil, 0, tokenErr("authenticator checksum is not an RFC 4121 GSS checksum")
	}
	return c[4:20], binary.LittleEndian.Uint32(c[20:]), nil
}

// randomKey makes a fresh key of the given type (for AES, random-to-key is
// the identity).
func randomKey(keyType int32) (types.EncryptionKey, error) {
	et, err := crypto.GetEtype(keyType)
	if err != nil {
		return types.EncryptionKey{}, &UnsupportedEtypeError{Etype: keyType}
	}
	k := make([]byte, et.GetKeyByteSize())
	if _, err := rand.Read(k); err != nil {
		return types.EncryptionKey{}, err
	}
	return types.EncryptionKey{KeyType: keyType, KeyValue: k}, nil
}

// newSubkey is what each side puts into the context, the initiator in its
// authenticator and the acceptor in its AP-REP: a fresh subkey of the given
// type and an initial sequence number, 30 bits, as Windows and gokrb5
// choose them, so that it survives implementations that read it as signed.
func newSubkey(keyType int32) (types.EncryptionKey, int64, error) {
	key, err := randomKey(keyType)
	if err != nil {
		return types.EncryptionKey{}, 0, err
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1<<30))
	if err != nil {
		return types.EncryptionKey{}, 0, err
	}
	return key, n.Int64(), nil
}

// encAPRepPart is messages.EncAPRepPart with the encoding gokrb5 lacks a
// marshaller for (RFC 4120 5.5.2).
type encAPRepPart struct {
	CTime          time.Time           `asn1:"generalized,explicit,tag:0"`
	Cusec          int                 `asn1:"explicit,tag:1"`
	Subkey         types.EncryptionKey `asn1:"optional,explicit,tag:2"`
	SequenceNumber int64               `asn1:"optional,explicit,tag:3"`
}

type apRep struct {
	PVNO    int                 `asn1:"explicit,tag:0"`
	MsgType int                 `asn1:"explicit,tag:1"`
	EncPart types.EncryptedData `asn1:"explicit,tag:2"`
}

// buildAPRep answers an authenticator for mutual authentication, encrypted
// in the ticket session key.
func buildAPRep(sessionKey types.EncryptionKey, auth types.Authenticator, subkey types.EncryptionKey, seq int64) ([]byte, error) {
	part := encAPRepPart{CTime: auth.CTime.UTC().Truncate(time.Second), Cusec: auth.Cusec, Subkey: subkey, SequenceNumber: seq}
	pb, err := asn1.Marshal(part)
	if err != nil {
		return nil, err
	}
	pb = asn1tools.AddASNAppTag(pb, asnAppTag.EncAPRepPart)
	ed, err := crypto.GetEncryptedData(pb, sessionKey, keyusage.AP_REP_ENCPART, 0)
	if err != nil {
		return nil, err
	}
	b, err := asn1.Marshal(apRep{PVNO: iana.PVNO, MsgType: msgtype.KRB_AP_REP, EncPart: ed})
	if err != nil {
		return nil, err
	}
	return asn1tools.AddASNAppTag(b, asnAppTag.APREP), nil
}

// verifyAPRep decrypts an AP-REP with the ticket session key and checks it
// answers this authenticator (RFC 4120 3.2.5).
func verifyAPRep(b []byte, sessionKey types.EncryptionKey, auth types.Authenticator) (messages.EncAPRepPart, error) {
	var rep messages.APRep
	if err := unmarshalSafely(func() error { return rep.Unmarshal(b) }); err != nil {
		return messages.EncAPRepPart{}, tokenErr("AP-REP: %v", err)
	}
	var pb []byte
	err := unmarshalSafely(func() (err error) {
		pb, err = crypto.DecryptEncPart(rep.EncPart, sessionKey, keyusage.AP_REP_ENCPART)
		return err
	})
	if err != nil {
		return messages.EncAPRepPart{}, &KerberosError{Op: "mutual authentication", Code: errorcode.KRB_AP_ERR_BAD_INTEGRITY, Text: "AP-REP does not decrypt with the session key"}
	}
	var part messages.EncAPRepPart
	if err := unmarshalSafely(func() error { return part.Unmarshal(pb) }); err != nil {
		return messages.EncAPRepPart{}, tokenErr("AP-REP encrypted part: %v", err)
	}
	if !part.CTime.Equal(auth.CTime.UTC().Truncate(time.Second)) || part.Cusec != auth.Cusec {
		return messages.EncAPRepPart{}, &KerberosError{Op: "mutual authentication", Code: errorcode.KRB_AP_ERR_MODIFIED, Text: "AP-REP does not answer our authenticator"}
	}
	if part.Subkey.KeyType != 0 && len(part.Subkey.KeyValue) == 0 {
		return messages.EncAPRepPart{}, tokenErr("AP-REP subkey is empty")
	}
	return part, nil
}
