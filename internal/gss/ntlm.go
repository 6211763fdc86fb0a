package gss

import (
	"errors"

	"github.com/cimjob/cimjob/internal/msgenc"
	"github.com/cimjob/cimjob/internal/ntlm"
)

// ntlmSealer is what the NTLM initiator and acceptor share: the sealing
// of the session their handshake ends with (msgenc.Established; the session
// knows its direction) and the scheme the tokens travel in.
type ntlmSealer struct {
	msgenc.Established
}

// Protocol is the msgenc protocol NTLM in the Negotiate scheme uses.
func (*ntlmSealer) Protocol() string { return msgenc.ProtocolSPNEGO }

// Scheme is the HTTP scheme: Windows sends NTLM under Negotiate.
func (*ntlmSealer) Scheme() string { return "Negotiate" }

// NTLMInitiator is the client side of NTLM in the Negotiate scheme, as
// Windows accepts it (raw NTLMSSP tokens, no SPNEGO wrapping).
type NTLMInitiator struct {
	ntlmSealer
	client *ntlm.Client
	step   int
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
		c.Session = s
		return out, true, nil
	}
	return nil, false, errors.New("gss: NTLM handshake has no further steps")
}

// NTLMAcceptor is the server side of NTLM in the Negotiate scheme.
type NTLMAcceptor struct {
	ntlmSealer
	acceptor *ntlm.Acceptor
	lookup   ntlm.LookupFunc
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
		a.Session = s
		a.user = id.User
		if id.Domain != "" {
			a.user = id.Domain + `\` + id.User
		}
		return nil, true, nil
	}
	return nil, false, errors.New("gss: NTLM handshake has no further steps")
}

// User is the authenticated client, DOMAIN\user or user, once accepted.
func (a *NTLMAcceptor) User() string { return a.user }
