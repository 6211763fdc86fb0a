// Package testca makes, at test time, a certificate authority and the
// client certificates WinRM's certificate mapping accepts: ECDSA P-256,
// the Client Authentication EKU and the UPN in the subjectAltName. It is
// for tests only; every test that needs a client CA uses it.
package testca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cimjob/cimjob/internal/winrmcert"
)

// validity is how far either side of now the certificates are valid: a
// test never runs near either end.
const validity = time.Hour

// CA is a certificate authority made for one test.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
}

// serials numbers the certificates of a test binary, so that no two that
// one CA issues share a serial.
var serials atomic.Int64

// New makes a CA whose subject common name is name.
func New(t testing.TB, name string) *CA {
	t.Helper()
	key, der := create(t, &x509.Certificate{
		Subject:  pkix.Name{CommonName: name},
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}, nil)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &CA{Cert: cert, Key: key}
}

// Issue makes a client certificate with upn in its subjectAltName, as
// WinRM maps it; with upn empty, the subjectAltName holds a DNS name and
// no UPN.
func (ca *CA) Issue(t testing.TB, upn string) tls.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		Subject:  pkix.Name{CommonName: "client " + upn},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if upn != "" {
		san, err := winrmcert.UPNExtension(upn)
		if err != nil {
			t.Fatal(err)
		}
		tmpl.ExtraExtensions = []pkix.Extension{{Id: winrmcert.OIDSubjectAltName, Value: san}}
	} else {
		tmpl.DNSNames = []string{"client.example"}
	}
	key, der := create(t, tmpl, ca)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// create gives tmpl a fresh key, a serial and its validity, and signs it
// with issuer's key, or its own when issuer is nil.
func create(t testing.TB, tmpl *x509.Certificate, issuer *CA) (*ecdsa.PrivateKey, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl.SerialNumber = big.NewInt(serials.Add(1))
	tmpl.NotBefore, tmpl.NotAfter = now.Add(-validity), now.Add(validity)
	parent, parentKey := tmpl, key
	if issuer != nil {
		parent, parentKey = issuer.Cert, issuer.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	return key, der
}

// IssueFiles is Issue writing the certificate and its PKCS #8 key as PEM
// files in dir, for clients that read files (the CLI, pywinrm).
func (ca *CA) IssueFiles(t testing.TB, dir, upn string) (certFile, keyFile string) {
	t.Helper()
	cert := ca.Issue(t, upn)
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	base := upn
	if base == "" {
		base = "client"
	}
	certFile, keyFile = filepath.Join(dir, base+".crt"), filepath.Join(dir, base+".key")
	for path, block := range map[string]*pem.Block{
		certFile: {Type: "CERTIFICATE", Bytes: cert.Certificate[0]},
		keyFile:  {Type: "PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile
}
