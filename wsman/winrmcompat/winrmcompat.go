// Package winrmcompat lets code written for github.com/masterzen/winrm
// keep its endpoint settings when it moves to package wsman: it turns a
// winrm.Endpoint into a wsman.Config. It is a package of its own so
// that plain wsman users do not link masterzen/winrm and what it pulls in
// (goxpath, x/net/html, simplexml, ...).
//
// Only the endpoint carries over. cimjob does not send its SOAP through
// masterzen's transport: the tests here record how that transport reports
// a Windows fault and a 401, and why wsman's typed errors replace it.
package winrmcompat

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/cimjob/cimjob/wsman"
	"github.com/masterzen/winrm"
)

// URL returns the service URL a masterzen/winrm Endpoint names, with the
// default WinRM port (5985, or 5986 for HTTPS) when Port is 0 and IPv6
// hosts bracketed.
func URL(ep *winrm.Endpoint) string {
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

// Config turns a masterzen/winrm Endpoint into a wsman.Config, so
// that existing users keep their endpoint settings: URL, Insecure,
// TLSServerName, a PEM CA bundle and a client certificate. The caller adds
// Auth. Endpoint.Timeout is not carried over: wsman bounds each call with
// its context instead.
func Config(ep *winrm.Endpoint) (wsman.Config, error) {
	if ep == nil || ep.Host == "" {
		return wsman.Config{}, errors.New("winrmcompat: endpoint has no host")
	}
	cfg := wsman.Config{URL: URL(ep)}
	if !ep.HTTPS {
		if len(ep.Cert) > 0 || len(ep.CACert) > 0 {
			return wsman.Config{}, errors.New("winrmcompat: endpoint has certificates but is not HTTPS")
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
			return wsman.Config{}, errors.New("winrmcompat: endpoint CACert holds no PEM certificate")
		}
		tc.RootCAs = pool
	}
	if len(ep.Cert) > 0 || len(ep.Key) > 0 {
		pair, err := tls.X509KeyPair(ep.Cert, ep.Key)
		if err != nil {
			return wsman.Config{}, fmt.Errorf("winrmcompat: endpoint client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	cfg.TLSConfig = tc
	return cfg, nil
}
