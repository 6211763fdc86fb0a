package wsman

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/masterzen/winrm"
)

// EndpointURL returns the service URL a masterzen/winrm Endpoint names,
// with the default WinRM port (5985, or 5986 for HTTPS) when Port is 0 and
// IPv6 hosts bracketed.
func EndpointURL(ep *winrm.Endpoint) string {
	scheme, port := "http", ep.Port
	if ep.HTTPS {
		scheme = "https"
	}
	if port == 0 {
		port = 5985
		if ep.HTTPS {
			port = 5986
		}
	}
	return scheme + "://" + net.JoinHostPort(ep.Host, strconv.Itoa(port)) + "/wsman"
}

// HTTPConfigFromEndpoint turns a masterzen/winrm Endpoint into an
// HTTPConfig, so that existing users keep their endpoint settings: URL,
// Insecure, TLSServerName, a PEM CA bundle and a client certificate. The
// caller adds Auth. Endpoint.Timeout is not carried over: cimjob bounds
// each call with its context instead.
func HTTPConfigFromEndpoint(ep *winrm.Endpoint) (HTTPConfig, error) {
	if ep == nil || ep.Host == "" {
		return HTTPConfig{}, errors.New("wsman: endpoint has no host")
	}
	cfg := HTTPConfig{URL: EndpointURL(ep)}
	if !ep.HTTPS {
		if len(ep.Cert) > 0 || len(ep.CACert) > 0 {
			return HTTPConfig{}, errors.New("wsman: endpoint has certificates but is not HTTPS")
		}
		return cfg, nil
	}
	tc := &tls.Config{
		MinVersion: tls.VersionTLS12,
		ServerName: ep.TLSServerName,
		// The user asked for this explicitly in their Endpoint.
		InsecureSkipVerify: ep.Insecure, //nolint:gosec
	}
	if len(ep.CACert) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ep.CACert) {
			return HTTPConfig{}, errors.New("wsman: endpoint CACert holds no PEM certificate")
		}
		tc.RootCAs = pool
	}
	if len(ep.Cert) > 0 || len(ep.Key) > 0 {
		pair, err := tls.X509KeyPair(ep.Cert, ep.Key)
		if err != nil {
			return HTTPConfig{}, fmt.Errorf("wsman: endpoint client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	cfg.TLSConfig = tc
	return cfg, nil
}
