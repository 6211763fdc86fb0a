package simulator

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

// certValidity is how long a generated certificate lasts: a simulator
// run, not a deployment.
const certValidity = 24 * time.Hour

// StartTLS listens on addr and serves HTTPS in the background, as a host
// with an HTTPS listener on 5986 does. It serves Options.TLSCertificate,
// or a certificate made now: ECDSA P-256, for 127.0.0.1, ::1 and
// localhost, valid for a day, signed by a CA made with it whose PEM
// CertPEM returns. Client certificates are requested when the scenario
// enables "Certificate" and verified against Options.ClientCAs. It returns
// the endpoint URL, "https://.../wsman".
func (s *Server) StartTLS(addr string) (string, error) {
	cert, trust, err := s.tlsIdentity()
	if err != nil {
		return "", err
	}
	cfg := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{*cert},
		// WinRM speaks HTTP/1.1 only: contexts and sealing are per connection.
		NextProtos: []string{"http/1.1"},
	}
	if offers(s.sc.AuthSchemes, "Certificate") && len(s.clientCAs) > 0 {
		pool := x509.NewCertPool()
		for _, c := range s.clientCAs {
			pool.AddCert(c)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	}
	s.mu.Lock()
	if s.httpSrv != nil {
		s.mu.Unlock()
		return "", errors.New("simulator: already started")
	}
	s.tlsCert, s.trust = cert, trust
	s.mu.Unlock()
	return s.listen(addr, cfg)
}

// CertPEM returns the PEM certificate a client should trust to reach
// StartTLS: the generated CA, or the last certificate of the given chain.
// It is nil before StartTLS.
func (s *Server) CertPEM() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.trust...)
}

// Certificate returns the leaf certificate StartTLS serves (nil before
// StartTLS): channel bindings (EPA) are computed from it.
func (s *Server) Certificate() *x509.Certificate {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tlsCert == nil {
		return nil
	}
	return s.tlsCert.Leaf
}

// tlsIdentity returns the certificate to serve and the PEM to trust.
func (s *Server) tlsIdentity() (*tls.Certificate, []byte, error) {
	if c := s.tlsGiven; c != nil {
		if len(c.Certificate) == 0 {
			return nil, nil, errors.New("simulator: TLSCertificate has no certificate")
		}
		cert := *c
		if cert.Leaf == nil {
			leaf, err := x509.ParseCertificate(cert.Certificate[0])
			if err != nil {
				return nil, nil, fmt.Errorf("simulator: TLSCertificate: %w", err)
			}
			cert.Leaf = leaf
		}
		top := cert.Certificate[len(cert.Certificate)-1]
		return &cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: top}), nil
	}
	return GenerateCert(time.Now())
}

// GenerateCert makes a CA and a server certificate it signs, both ECDSA
// P-256, valid from now for a day, the leaf for 127.0.0.1, ::1 and
// localhost. It returns the leaf (with its key and chain) and the CA's PEM.
func GenerateCert(now time.Time) (*tls.Certificate, []byte, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "cimjob-sim test CA"},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(certValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(certValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	cert := &tls.Certificate{Certificate: [][]byte{der, caDER}, PrivateKey: key, Leaf: leaf}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return big.NewInt(1)
	}
	return n
}
