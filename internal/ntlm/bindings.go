package ntlm

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/binary"
)

// ChannelBindings is the gss_channel_bindings_struct (RFC 2744 3.11) whose
// MD5 hash NTLMv2 carries in MsvAvChannelBindings for Extended Protection
// (EPA). Over TLS only ApplicationData is set.
type ChannelBindings struct {
	InitiatorAddrType uint32
	InitiatorAddress  []byte
	AcceptorAddrType  uint32
	AcceptorAddress   []byte
	ApplicationData   []byte
}

// Hash returns MD5 of the flat encoding: each address type, then each
// length-prefixed (32-bit little-endian) address, then the application data.
func (c *ChannelBindings) Hash() []byte {
	var b []byte
	b = binary.LittleEndian.AppendUint32(b, c.InitiatorAddrType)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(c.InitiatorAddress)))
	b = append(b, c.InitiatorAddress...)
	b = binary.LittleEndian.AppendUint32(b, c.AcceptorAddrType)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(c.AcceptorAddress)))
	b = append(b, c.AcceptorAddress...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(c.ApplicationData)))
	b = append(b, c.ApplicationData...)
	sum := md5.Sum(b)
	return sum[:]
}

// TLSServerEndPoint returns the "tls-server-end-point" bindings (RFC 5929
// 4.1) for the server's certificate: its DER hashed with the certificate's
// signature hash, or SHA-256 when that is MD5 or SHA-1.
func TLSServerEndPoint(cert *x509.Certificate) *ChannelBindings {
	var sum []byte
	switch cert.SignatureAlgorithm {
	case x509.SHA384WithRSA, x509.ECDSAWithSHA384, x509.SHA384WithRSAPSS:
		s := sha512.Sum384(cert.Raw)
		sum = s[:]
	case x509.SHA512WithRSA, x509.ECDSAWithSHA512, x509.SHA512WithRSAPSS:
		s := sha512.Sum512(cert.Raw)
		sum = s[:]
	default:
		s := sha256.Sum256(cert.Raw)
		sum = s[:]
	}
	return &ChannelBindings{ApplicationData: append([]byte("tls-server-end-point:"), sum...)}
}
