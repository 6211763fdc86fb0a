package gss

import (
	"errors"

	"github.com/cimjob/cimjob/internal/msgenc"
	"github.com/cimjob/cimjob/internal/ntlm"
)

// errNotEstablished is returned by Seal and Unseal before the handshake ends.
var errNotEstablished = errors.New("gss: security context not established")

// NTLMInitiator is the client side of NTLM in the Negotiate scheme, as
// Windows accepts it (raw NTLMSSP tokens, no SPNEGO wrapping).
type NTLMInitiator struct {
	client  *ntlm.Client
	session *ntlm.Session
	step    int
}

// NewNTLMInitiator starts an NTLM handshake with cfg.
func NewNTLMInitiator(cfg ntlm.ClientConfig) *NTLMInitiator {
	return &NTLMInitiator{client: ntlm.NewClient(cfg)}
}

// Step sends NEGOTIATE on the first call and AUTHENTICATE in answer to the
// CHALLENGE.
func (c *NTLMInitiator) Step(in []byte) ([]byte, bool, error) {
	c.step++
	switch c.step {
	case 1:
		out, err := c.client.Negotiate()
		return out, false, err
	case 2:
		out, s, err := c.client.Authenticate(in)
		if err != nil {
			return nil, false, err
		}
		c.session = s
		return out, true, nil
	}
	return nil, false, errors.New("gss: NTLM handshake has no further steps")
}

func (c *NTLMInitiator) Seal(plain []byte) ([]byte, []byte, error) {
	if c.session == nil {
		return nil, nil, errNotEstablished
	}
	return c.session.Seal(plain)
}

func (c *NTLMInitiator) Unseal(signature, sealed []byte) ([]byte, error) {
	if c.session == nil {
		return nil, errNotEstablished
	}
	return c.session.Unseal(signature, sealed)
}

func (c *NTLMInitiator) Protocol() string { return msgenc.ProtocolSPNEGO }
func (c *NTLMInitiator) Scheme() string   { return "Negotiate" }

// NTLMAcceptor is the server side of NTLM in the Negotiate scheme.
type NTLMAcceptor struct {
	acceptor *ntlm.Acceptor
	lookup   ntlm.LookupFunc
	session  *ntlm.Session
	user     string
	step     int
}

// NewNTLMAcceptor starts the server side of one handshake; lookup finds
// users' passwords.
func NewNTLMAcceptor(cfg ntlm.AcceptorConfig, lookup ntlm.LookupFunc) *NTLMAcceptor {
	return &NTLMAcceptor{acceptor: ntlm.NewAcceptor(cfg), lookup: lookup}
}

// Step answers NEGOTIATE with CHALLENGE, then checks AUTHENTICATE.
func (a *NTLMAcceptor) Step(in []byte) ([]byte, bool, error) {
	a.step++
	switch a.step {
	case 1:
		out, err := a.acceptor.Challenge(in)
		return out, false, err
	case 2:
		s, id, err := a.acceptor.Accept(in, a.lookup)
		if err != nil {
			return nil, false, err
		}
		a.session = s
		a.user = id.User
		if id.Domain != "" {
			a.user = id.Domain + `\` + id.User
		}
		return nil, true, nil
	}
	return nil, false, errors.New("gss: NTLM handshake has no further steps")
}

func (a *NTLMAcceptor) Seal(plain []byte) ([]byte, []byte, error) {
	if a.session == nil {
		return nil, nil, errNotEstablished
	}
	return a.session.Seal(plain)
}

func (a *NTLMAcceptor) Unseal(signature, sealed []byte) ([]byte, error) {
	if a.session == nil {
		return nil, errNotEstablished
	}
	return a.session.Unseal(signature, sealed)
}

func (a *NTLMAcceptor) Protocol() string { return msgenc.ProtocolSPNEGO }
func (a *NTLMAcceptor) Scheme() string   { return "Negotiate" }
func (a *NTLMAcceptor) User() string     { return a.user }
