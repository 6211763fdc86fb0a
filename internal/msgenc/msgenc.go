// Package msgenc implements the MS-WSMV 2.2.9.1 message encryption framing
// that WinRM uses over plain HTTP: a SOAP envelope sealed by the
// authentication context (NTLM, Kerberos, CredSSP) and carried in a
// multipart/encrypted body.
//
// The framing is generic over the security context: anything that can seal
// a message into a signature (or token header) and sealed bytes fits, so the
// same code serves NTLM sessions now and Kerberos wrap tokens later.
//
// One part, as Windows and pywinrm write it (every byte matters):
//
//	--Encrypted Boundary\r\n
//	\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n
//	\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=N\r\n
//	--Encrypted Boundary\r\n
//	\tContent-Type: application/octet-stream\r\n
//	<signature length, 4 bytes little-endian><signature><sealed data>
//	--Encrypted Boundary--\r\n
//
// multipart/x-multi-encrypted (CredSSP chunking of large messages) repeats
// the two-section part before the closing delimiter; Decode accepts it.
package msgenc

import (
	"errors"
	"fmt"
)

// Boundary is the MIME boundary every WinRM implementation uses.
const Boundary = "Encrypted Boundary"

// Protocols: the protocol parameter of the Content-Type and the Content-Type
// of each part's first section.
const (
	ProtocolSPNEGO   = "application/HTTP-SPNEGO-session-encrypted"
	ProtocolKerberos = "application/HTTP-Kerberos-session-encrypted"
	ProtocolCredSSP  = "application/HTTP-CredSSP-session-encrypted"
)

// Media types of an encrypted body.
const (
	MediaEncrypted      = "multipart/encrypted"
	MediaMultiEncrypted = "multipart/x-multi-encrypted"
)

// OriginalType is the type of the sealed content: always a SOAP envelope.
const OriginalType = "application/soap+xml;charset=UTF-8"

// Sealer seals one message, returning the signature (for Kerberos, the wrap
// token header) and the sealed bytes, in the order they go on the wire.
type Sealer interface {
	Seal(plain []byte) (signature, sealed []byte, err error)
}

// Unsealer reverses Sealer on the other end and verifies integrity.
type Unsealer interface {
	Unseal(signature, sealed []byte) (plain []byte, err error)
}

// Session seals messages for the peer and opens the peer's.
type Session interface {
	Sealer
	Unsealer
}

// ErrNotEstablished is returned by Seal and Unseal before a security
// context's handshake has ended.
var ErrNotEstablished = errors.New("security context not established")

// Established is the Seal and Unseal of one side of a security context,
// either side and any mechanism: they use Session once the handshake has set
// it, and fail with ErrNotEstablished before.
type Established struct {
	Session Session // nil until the handshake ends
}

// Seal seals one message for the peer.
func (e *Established) Seal(plain []byte) ([]byte, []byte, error) {
	if e.Session == nil {
		return nil, nil, ErrNotEstablished
	}
	return e.Session.Seal(plain)
}

// Unseal opens one message from the peer.
func (e *Established) Unseal(signature, sealed []byte) ([]byte, error) {
	if e.Session == nil {
		return nil, ErrNotEstablished
	}
	return e.Session.Unseal(signature, sealed)
}

// FormatError reports an encrypted body or Content-Type that does not follow
// the framing.
type FormatError struct {
	Reason string
}

func (e *FormatError) Error() string { return "msgenc: malformed encrypted message: " + e.Reason }

func formatErr(format string, args ...any) error {
	return &FormatError{Reason: fmt.Sprintf(format, args...)}
}

// ErrNotEncrypted is returned for a Content-Type that is not one of the
// encrypted multipart types, so that a server with AllowUnencrypted=false
// can refuse a plain message distinctly from a broken one.
var ErrNotEncrypted = errors.New("msgenc: message is not encrypted")

// LengthError reports a part whose unsealed length differs from the
// OriginalContent Length (a truncated or tampered message).
type LengthError struct {
	Declared, Actual int
}

func (e *LengthError) Error() string {
	return fmt.Sprintf("msgenc: unsealed %d bytes but OriginalContent says Length=%d", e.Actual, e.Declared)
}
