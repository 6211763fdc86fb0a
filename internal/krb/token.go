package krb

import (
	"fmt"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
)

// Mechanism OIDs.
var (
	oidKRB5   = asn1.ObjectIdentifier{1, 2, 840, 113554, 1, 2, 2} // RFC 4121
	oidMSKRB5 = asn1.ObjectIdentifier{1, 2, 840, 48018, 1, 2, 2}  // Windows' historical Kerberos OID
	oidSPNEGO = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 2}        // RFC 4178
)

// Kerberos GSS-API token identifiers (RFC 4121 4.1).
var (
	tokAPReq    = [2]byte{0x01, 0x00}
	tokAPRep    = [2]byte{0x02, 0x00}
	tokKRBError = [2]byte{0x03, 0x00}
)

// maxToken bounds every handshake token this package parses; a Kerberos
// ticket with a large PAC is a few KiB, HTTP servers cap headers at 64 KiB.
const maxToken = 64 << 10

// frameToken wraps an inner token in the RFC 2743 3.1 framing
// [APPLICATION 0] { OID, inner }.
func frameToken(oid asn1.ObjectIdentifier, inner []byte) ([]byte, error) {
	b, err := asn1.Marshal(oid)
	if err != nil {
		return nil, err
	}
	return asn1tools.AddASNAppTag(append(b, inner...), 0), nil
}

// frameKRB5 frames a Kerberos message with its token identifier.
func frameKRB5(tokID [2]byte, msg []byte) ([]byte, error) {
	return frameToken(oidKRB5, append(tokID[:], msg...))
}

// unframeToken parses the RFC 2743 3.1 framing and returns the mechanism
// OID and what follows it. It reads DER lengths itself so that a hostile
// length can neither overflow nor over-read.
func unframeToken(b []byte) (asn1.ObjectIdentifier, []byte, error) {
	if len(b) > maxToken {
		return nil, nil, tokenErr("token of %d bytes", len(b))
	}
	if len(b) < 2 || b[0] != 0x60 {
		return nil, nil, tokenErr("not a GSS-API initial context token")
	}
	n, hdr, ok := derLength(b[1:])
	if !ok || n != len(b)-1-hdr {
		return nil, nil, tokenErr("GSS-API token length does not match its size")
	}
	body := b[1+hdr:]
	var oid asn1.ObjectIdentifier
	rest, err := asn1.Unmarshal(body, &oid)
	if err != nil {
		return nil, nil, tokenErr("mechanism OID: %v", err)
	}
	return oid, rest, nil
}

// derLength reads a DER length; hdr is how many bytes it took.
func derLength(b []byte) (n, hdr int, ok bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	if b[0] < 0x80 {
		return int(b[0]), 1, true
	}
	k := int(b[0] & 0x7f)
	if k == 0 || k > 3 || len(b) < 1+k {
		return 0, 0, false
	}
	for _, c := range b[1 : 1+k] {
		n = n<<8 | int(c)
	}
	return n, 1 + k, true
}

// unframeKRB5 parses a framed Kerberos token and returns its identifier and
// the Kerberos message.
func unframeKRB5(b []byte) ([2]byte, []byte, error) {
	oid, rest, err := unframeToken(b)
	if err != nil {
		return [2]byte{}, nil, err
	}
	if !oid.Equal(oidKRB5) && !oid.Equal(oidMSKRB5) {
		return [2]byte{}, nil, tokenErr("mechanism %v is not Kerberos", oid)
	}
	if len(rest) < 2 {
		return [2]byte{}, nil, tokenErr("Kerberos token has no token identifier")
	}
	return [2]byte{rest[0], rest[1]}, rest[2:], nil
}

func isKerberosOID(oid asn1.ObjectIdentifier) bool {
	return oid.Equal(oidKRB5) || oid.Equal(oidMSKRB5)
}

// unmarshalSafely runs one of gokrb5's parsers (or its decryption of an
// encrypted part) on input we did not make, a network token or a cache or
// keytab file, and turns a panic into an error: gokrb5 indexes without
// checking lengths in places.
func unmarshalSafely(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed input (parser panicked: %v)", r)
		}
	}()
	return f()
}
