package wsman

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"

	"github.com/cimjob/cimjob/internal/gss"
	"github.com/cimjob/cimjob/internal/ntlm"
)

// ProfileHTTPSMutual is the WS-Management security profile a client names
// in its Authorization header when it authenticates with its TLS client
// certificate (DSP0226 C.3.6). WinRM's certificate mapping looks for it.
const ProfileHTTPSMutual = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"

// errConnectionAuth is what Authorize says for a mechanism that
// authenticates a connection rather than a request.
var errConnectionAuth = errors.New("wsman: this authentication is bound to a connection; build the transport with NewTransport")

// sessionAuth is an Authenticator that authenticates a TCP connection with
// a security context (NTLM, Kerberos) and, over plain HTTP, seals every
// message with it. Only this package implements it: the contexts are
// internal types.
type sessionAuth interface {
	Authenticator
	// mechanism prepares what every connection of one transport shares
	// (for Kerberos, the login to the KDC); a SessionTransport calls it
	// once, at its first connection.
	mechanism(ctx context.Context) (newContext, error)
}

// newContext starts the initiator side of one handshake for one
// connection to host. bindings are the TLS channel bindings over HTTPS
// (nil over HTTP).
type newContext func(ctx context.Context, host string, bindings *ntlm.ChannelBindings) (gss.Context, error)

// NTLMAuth authenticates with NTLMv2 in the Negotiate scheme, as Windows
// accepts it out of the box. Over plain HTTP every message is sealed with
// the connection's NTLM session (MS-WSMV message encryption); over HTTPS
// TLS protects the messages and the handshake carries the channel bindings
// of the server's certificate (Extended Protection).
type NTLMAuth struct {
	// Username is "DOMAIN\user", "user@domain.example" or a local "user".
	Username string
	Password string
	// Workstation is this client's NetBIOS name; may be empty.
	Workstation string
	// SPN is the NTLM target name (MsvAvTargetName), signed in the
	// handshake so that it cannot be relayed to a service of another name;
	// default "HTTP/<host of the URL>", as Windows clients send it.
	SPN string
	// AllowNoTimestamp accepts a server that sends no timestamp in its
	// NTLM challenge, as only hosts older than Windows Server 2008 do.
	// Without one nothing protects the handshake (no MIC), so anyone on the
	// path can relay the login to another host; by default such a
	// handshake fails with an *AuthError.
	AllowNoTimestamp bool
}

// Scheme implements Authenticator.
func (NTLMAuth) Scheme() string { return "NTLM" }

// Authorize implements Authenticator; NTLM cannot authorize a lone request.
func (NTLMAuth) Authorize(*http.Request) error { return errConnectionAuth }

// SendsSecretInClear implements Authenticator: the password never crosses
// the wire, and over HTTP the messages are sealed.
func (NTLMAuth) SendsSecretInClear() bool { return false }

func (a NTLMAuth) mechanism(context.Context) (newContext, error) {
	if a.Username == "" {
		return nil, errors.New("wsman: NTLM needs a user name")
	}
	domain, user := ntlm.SplitUserName(a.Username)
	return func(_ context.Context, host string, bindings *ntlm.ChannelBindings) (gss.Context, error) {
		return gss.NewNTLMInitiator(ntlm.ClientConfig{
			User: user, Domain: domain, Password: a.Password,
			Workstation:      a.Workstation,
			Host:             host,
			TargetSPN:        a.SPN,
			ChannelBindings:  bindings,
			AllowNoTimestamp: a.AllowNoTimestamp,
		}), nil
	}, nil
}

// CertificateAuth authenticates with a TLS client certificate, which the
// service maps to an account (WinRM certificate mapping). HTTPS only.
type CertificateAuth struct {
	Cert tls.Certificate
}

// Scheme implements Authenticator.
func (CertificateAuth) Scheme() string { return "Certificate" }

// Authorize implements Authenticator: the certificate itself travels in
// the TLS handshake; the header names the profile, which WinRM expects.
func (CertificateAuth) Authorize(req *http.Request) error {
	req.Header.Set("Authorization", ProfileHTTPSMutual)
	return nil
}

// SendsSecretInClear implements Authenticator: the private key never
// leaves the client.
func (CertificateAuth) SendsSecretInClear() bool { return false }

// certificateOf finds a CertificateAuth given by value or by pointer.
func certificateOf(a Authenticator) (CertificateAuth, bool) {
	switch c := a.(type) {
	case CertificateAuth:
		return c, true
	case *CertificateAuth:
		if c != nil {
			return *c, true
		}
	}
	return CertificateAuth{}, false
}
