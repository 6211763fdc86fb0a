// Package winrmcert holds what a client certificate carries for WinRM's
// certificate mapping (MS-WSMV 2.2.4.3 CertMappingType), which matches on
// the User Principal Name in an otherName of type 1.3.6.1.4.1.311.20.2.3
// in the certificate's subjectAltName, not on the subject DN. The
// simulator reads it; test certificates and tools write it.
package winrmcert

import "encoding/asn1"

// Object identifiers of the subjectAltName extension and of the UPN
// otherName type.
var (
	OIDSubjectAltName = asn1.ObjectIdentifier{2, 5, 29, 17}
	OIDUPN            = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2, 3}
)

// UPNExtension returns the DER value of a subjectAltName extension
// holding upn as its one name: GeneralNames { otherName [0] { OIDUPN,
// [0] EXPLICIT UTF8String } } (RFC 5280 4.2.1.6). Put it in
// x509.Certificate.ExtraExtensions under OIDSubjectAltName.
func UPNExtension(upn string) ([]byte, error) {
	value, err := asn1.MarshalWithParams(upn, "utf8")
	if err != nil {
		return nil, err
	}
	oid, err := asn1.Marshal(OIDUPN)
	if err != nil {
		return nil, err
	}
	explicit, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: value})
	if err != nil {
		return nil, err
	}
	other, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: append(oid, explicit...)})
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: other})
}
