package testca_test

import (
	"crypto/tls"
	"crypto/x509"
	"testing"

	"github.com/cimjob/cimjob/internal/testca"
	"github.com/cimjob/cimjob/internal/winrmcert"
)

func TestIssueVerifiesAgainstItsCA(t *testing.T) {
	ca := testca.New(t, "client CA")
	other := testca.New(t, "other CA")
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	opts := x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	for _, upn := range []string{"ops@corp.example", ""} {
		leaf, err := x509.ParseCertificate(ca.Issue(t, upn).Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := leaf.Verify(opts); err != nil {
			t.Errorf("upn %q: %v", upn, err)
		}
		hasUPN := false
		for _, ext := range leaf.Extensions {
			hasUPN = hasUPN || ext.Id.Equal(winrmcert.OIDSubjectAltName) && len(leaf.DNSNames) == 0
		}
		if hasUPN != (upn != "") {
			t.Errorf("upn %q: UPN subjectAltName present = %v", upn, hasUPN)
		}
	}
	leaf, _ := x509.ParseCertificate(other.Issue(t, "ops@corp.example").Certificate[0])
	if _, err := leaf.Verify(opts); err == nil {
		t.Error("another CA's certificate verified")
	}
}

func TestIssueFilesLoad(t *testing.T) {
	certFile, keyFile := testca.New(t, "client CA").IssueFiles(t, t.TempDir(), "ops@corp.example")
	if _, err := tls.LoadX509KeyPair(certFile, keyFile); err != nil {
		t.Fatal(err)
	}
}
