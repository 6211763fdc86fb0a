package simulator

import (
	"crypto/sha1" //nolint:gosec // WinRM names issuers by their SHA-1 thumbprint.
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/cimjob/cimjob/internal/winrmcert"
)

// CertMapping maps client certificates to a local user, as an entry of
// winrm/config/service/certmapping does (MS-WSMV 2.2.4.3 CertMappingType).
// WinRM matches Subject against the User Principal Name in the client
// certificate's subjectAltName (otherName 1.3.6.1.4.1.311.20.2.3), not
// against the subject DN, and requires the Client Authentication EKU.
type CertMapping struct {
	// Issuer is the SHA-1 thumbprint (40 hex digits) of the CA that signed
	// the client certificate. Empty accepts any CA in Options.ClientCAs: a
	// simulator convenience for CAs made at test time (Windows requires it).
	Issuer string `json:"issuer,omitempty"`
	// Subject is matched, without regard to case, against the UPN; one "*"
	// as its first or last character matches any substring.
	Subject string `json:"subject"`
	// URI is the resource URI the mapping applies to; one "*" as its last
	// character makes it a prefix ("*" alone: every URI).
	URI string `json:"uri"`
	// UserName is the local account (a key of Scenario.Users) the request
	// runs as.
	UserName string `json:"userName"`
	// Enabled false turns the entry off; omitted means enabled.
	Enabled *bool `json:"enabled,omitempty"`
}

// Auth scheme names a scenario may enable.
var knownSchemes = []string{"Negotiate", "Kerberos", "CredSSP", "Basic", "Certificate"}

// checkAuth validates a scenario's authentication settings.
func checkAuth(sc *Scenario) error {
	for _, a := range sc.AuthSchemes {
		if !offers(knownSchemes, a) {
			return fmt.Errorf("unknown auth scheme %q (want one of %v)", a, knownSchemes)
		}
	}
	switch strings.ToLower(sc.CbtHardeningLevel) {
	case "", "none", "relaxed", "strict":
	default:
		return fmt.Errorf("cbtHardeningLevel %q: want None, Relaxed or Strict", sc.CbtHardeningLevel)
	}
	for i, m := range sc.CertMappings {
		switch {
		case m.Subject == "" || strings.Count(m.Subject, "*") > 1 ||
			(strings.Contains(m.Subject, "*") && !strings.HasPrefix(m.Subject, "*") && !strings.HasSuffix(m.Subject, "*")):
			return fmt.Errorf("certMappings[%d]: subject %q: want one '*' at most, first or last", i, m.Subject)
		case m.URI == "" || strings.Count(m.URI, "*") > 1 || (strings.Contains(m.URI, "*") && !strings.HasSuffix(m.URI, "*")):
			return fmt.Errorf("certMappings[%d]: uri %q: want one '*' at most, last", i, m.URI)
		case m.Issuer != "" && !isThumbprint(m.Issuer):
			return fmt.Errorf("certMappings[%d]: issuer %q is not a 40-digit hex thumbprint", i, m.Issuer)
		}
		if _, ok := findUser(sc.Users, m.UserName); !ok {
			return fmt.Errorf("certMappings[%d]: userName %q is not in users", i, m.UserName)
		}
	}
	return nil
}

func isThumbprint(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == sha1.Size
}

// Thumbprint is a certificate's SHA-1 thumbprint in upper-case hex, as
// Windows shows it and CertMapping.Issuer holds it.
func Thumbprint(cert *x509.Certificate) string {
	sum := sha1.Sum(cert.Raw) //nolint:gosec // a name, not a signature
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// mapCertificate finds the mapping for a verified client chain (leaf
// first, then its issuer). It returns the user and the mapping's URI
// pattern.
func mapCertificate(sc *Scenario, chain []*x509.Certificate) (user, uri string, err error) {
	if len(chain) < 2 {
		return "", "", errors.New("client certificate chain has no issuer")
	}
	upn, err := UPN(chain[0])
	if err != nil {
		return "", "", err
	}
	issuer := Thumbprint(chain[1])
	for _, m := range sc.CertMappings {
		if m.Enabled != nil && !*m.Enabled {
			continue
		}
		if m.Issuer != "" && !strings.EqualFold(m.Issuer, issuer) {
			continue
		}
		if !matchPattern(m.Subject, upn) {
			continue
		}
		u, _ := findUser(sc.Users, m.UserName)
		return u, m.URI, nil
	}
	return "", "", fmt.Errorf("no certificate mapping for UPN %q issued by %s", upn, issuer)
}

// matchPattern matches s against a WinRM mapping pattern without regard to
// case: a leading or trailing "*" matches any substring.
func matchPattern(pattern, s string) bool {
	p, v := strings.ToLower(pattern), strings.ToLower(s)
	switch {
	case p == "*":
		return true
	case strings.HasPrefix(p, "*"):
		return strings.HasSuffix(v, p[1:])
	case strings.HasSuffix(p, "*"):
		return strings.HasPrefix(v, p[:len(p)-1])
	}
	return p == v
}

// Object identifiers for the UPN in a subjectAltName.
var (
	oidSubjectAltName = winrmcert.OIDSubjectAltName
	// OIDUPN is the otherName type of a Microsoft User Principal Name.
	OIDUPN = winrmcert.OIDUPN
)

// ErrNoUPN is returned for a certificate whose subjectAltName holds no UPN.
var ErrNoUPN = errors.New("simulator: client certificate has no UPN in its subjectAltName")

// UPN returns the User Principal Name of a certificate's subjectAltName
// (the otherName WinRM certificate mapping matches on).
func UPN(cert *x509.Certificate) (string, error) {
	for _, ext := range cert.Extensions {
		if ext.Id.Equal(oidSubjectAltName) {
			return upnFromSAN(ext.Value)
		}
	}
	return "", ErrNoUPN
}

// upnFromSAN reads GeneralNames (RFC 5280 4.2.1.6) and returns the first
// otherName of type UPN: [0] { type-id OID, [0] EXPLICIT UTF8String }.
func upnFromSAN(der []byte) (string, error) {
	var seq asn1.RawValue
	if rest, err := asn1.Unmarshal(der, &seq); err != nil || len(rest) > 0 || seq.Tag != asn1.TagSequence {
		return "", fmt.Errorf("simulator: malformed subjectAltName")
	}
	for rest := seq.Bytes; len(rest) > 0; {
		var gn asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &gn); err != nil {
			return "", fmt.Errorf("simulator: malformed subjectAltName: %w", err)
		}
		if gn.Class != asn1.ClassContextSpecific || gn.Tag != 0 || !gn.IsCompound {
			continue
		}
		var typ asn1.ObjectIdentifier
		after, err := asn1.Unmarshal(gn.Bytes, &typ)
		if err != nil || !typ.Equal(OIDUPN) {
			continue
		}
		var explicit asn1.RawValue
		if _, err := asn1.Unmarshal(after, &explicit); err != nil || explicit.Class != asn1.ClassContextSpecific || explicit.Tag != 0 {
			return "", fmt.Errorf("simulator: malformed UPN otherName")
		}
		var upn string
		if _, err := asn1.UnmarshalWithParams(explicit.Bytes, &upn, "utf8"); err != nil || upn == "" {
			return "", fmt.Errorf("simulator: UPN otherName is not a UTF8String")
		}
		return upn, nil
	}
	return "", ErrNoUPN
}

// UPNExtension builds a subjectAltName extension holding upn as an
// otherName, for tests and tools that make client certificates (put it in
// x509.Certificate.ExtraExtensions).
func UPNExtension(upn string) ([]byte, error) { return winrmcert.UPNExtension(upn) }
