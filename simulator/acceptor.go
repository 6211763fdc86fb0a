package simulator

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"

	"github.com/cimjob/cimjob/internal/gss"
	"github.com/cimjob/cimjob/internal/ntlm"
)

// Acceptor is the server side of one security context on one connection
// (NTLM, Kerberos). It has the method set of internal/gss.Acceptor, so the
// mechanisms of this module plug in unchanged, while callers outside it can
// still name the type.
type Acceptor interface {
	// Step consumes the client's token and returns the token to send back;
	// done is true once the context is established (a final token may
	// still go back with it, as Kerberos mutual authentication does).
	Step(in []byte) (out []byte, done bool, err error)
	// Seal and Unseal protect messages once the context is established
	// (MS-WSMV 2.2.9.1 framing through internal/msgenc).
	Seal(plain []byte) (signature, sealed []byte, err error)
	Unseal(signature, sealed []byte) (plain []byte, err error)
	// Protocol is the msgenc protocol of sealed messages.
	Protocol() string
	// Scheme is the HTTP scheme the tokens travel in.
	Scheme() string
	// User is the authenticated principal once established.
	User() string
}

// The mechanisms of internal/gss are Acceptors.
var _ Acceptor = gss.Acceptor(nil)

// ConnInfo describes the connection a handshake runs on.
type ConnInfo struct {
	// ID numbers connections from 1 in the order they were accepted (0
	// when the handler runs without Server.ConnContext).
	ID         int
	RemoteAddr string
	// TLS is the connection's TLS state; nil on plain HTTP.
	TLS *tls.ConnectionState
	// ServerCert is the certificate served on the connection (nil on
	// HTTP): channel bindings are computed from it.
	ServerCert *x509.Certificate
}

// AcceptorFactory starts the server side of a handshake. scheme is the
// HTTP scheme the client used ("Negotiate" or "Kerberos"), token its first
// token. Returning (nil, nil) leaves the token to the built-in NTLM
// acceptor, so a Kerberos factory need only recognise its own tokens.
type AcceptorFactory func(scheme string, token []byte, conn ConnInfo) (Acceptor, error)

// errNoMechanism answers a token no acceptor understands.
var errNoMechanism = errors.New("simulator: no acceptor for this token (only NTLM is built in)")

// ntlmSignature opens every NTLMSSP message.
var ntlmSignature = []byte("NTLMSSP\x00")

// isNTLMNegotiate reports whether token is an NTLM NEGOTIATE_MESSAGE: the
// start of a new handshake.
func isNTLMNegotiate(token []byte) bool {
	return len(token) >= 12 && bytes.HasPrefix(token, ntlmSignature) && token[8] == 1 && token[9] == 0 && token[10] == 0 && token[11] == 0
}

// newAcceptor starts a handshake for the client's first token.
func (s *Server) newAcceptor(scheme string, token []byte, info ConnInfo) (Acceptor, error) {
	if s.newAcc != nil {
		a, err := s.newAcc(scheme, token, info)
		if err != nil || a != nil {
			return a, err
		}
	}
	if !strings.EqualFold(scheme, "Negotiate") || !isNTLMNegotiate(token) {
		return nil, errNoMechanism
	}
	cfg := s.ntlmConfig()
	if info.ServerCert != nil && strings.EqualFold(s.sc.CbtHardeningLevel, "strict") {
		cfg.ChannelBindings = ntlm.TLSServerEndPoint(info.ServerCert)
	}
	return gss.NewNTLMAcceptor(cfg, s.lookup), nil
}

// ntlmConfig names the host in CHALLENGE_MESSAGEs as Windows does: the
// computer's short and DNS names, and its domain (the computer name itself
// on a workgroup host).
func (s *Server) ntlmConfig() ntlm.AcceptorConfig {
	host := s.sc.Host
	computer, dnsDomain, _ := strings.Cut(host, ".")
	computer = strings.ToUpper(computer)
	domain := strings.ToUpper(s.sc.Domain)
	if domain == "" {
		domain = computer
	}
	return ntlm.AcceptorConfig{
		NetBIOSDomain:   domain,
		NetBIOSComputer: computer,
		DNSDomain:       dnsDomain,
		DNSComputer:     host,
		NoTimestamp:     s.sc.NTLMNoTimestamp,
	}
}

// lookup finds a scenario user's password for NTLM, whatever form the
// client named it in: "user" with the domain apart, "DOMAIN\user" or
// "user@domain".
func (s *Server) lookup(_, user string) (string, bool) {
	u, ok := findUser(s.sc.Users, user)
	if !ok {
		return "", false
	}
	return s.sc.Users[u], true
}
