package simulator

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/cimjob/cimjob/internal/krb"
	"github.com/cimjob/cimjob/internal/ntlm"
)

// KerberosAcceptors returns an AcceptorFactory that accepts Kerberos
// tokens, bare or SPNEGO-wrapped, with the service keys in a keytab
// (HTTP/host@REALM, as a domain-joined Windows host has), and leaves NTLM
// tokens to the built-in acceptor. Over HTTPS the context must be bound to
// the served certificate (Extended Protection), as Windows requires when
// its CbtHardeningLevel is Strict.
func KerberosAcceptors(keytabPath string, requireBindings bool) (AcceptorFactory, error) {
	kt, err := krb.LoadKeytab(keytabPath)
	if err != nil {
		return nil, fmt.Errorf("simulator: kerberos keytab: %w", err)
	}
	return func(scheme string, token []byte, conn ConnInfo) (Acceptor, error) {
		if bytes.HasPrefix(token, ntlmSignature) {
			return nil, nil
		}
		cfg := krb.AcceptorConfig{Keytab: kt, Scheme: krb.SchemeNegotiate}
		if strings.EqualFold(scheme, krb.SchemeKerberos) {
			cfg.Scheme = krb.SchemeKerberos
		}
		if requireBindings && conn.ServerCert != nil {
			cfg.ChannelBindings = ntlm.TLSServerEndPoint(conn.ServerCert)
		}
		return krb.NewAcceptor(cfg), nil
	}, nil
}
