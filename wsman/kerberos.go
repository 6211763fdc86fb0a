package wsman

import (
	"context"
	"errors"
	"net/http"

	"github.com/cimjob/cimjob/internal/gss"
	"github.com/cimjob/cimjob/internal/krb"
	"github.com/cimjob/cimjob/internal/ntlm"
)

// KerberosAuth authenticates with Kerberos in the Negotiate scheme
// (SPNEGO), as domain-joined Windows hosts prefer, with mutual
// authentication. Like NTLMAuth it binds a connection: over plain HTTP
// every message is sealed with the context (RFC 4121 wrap tokens in the
// MS-WSMV framing); over HTTPS the context is bound to the server's
// certificate.
//
// Credentials come from Password, else KeytabPath, else the credential
// cache (CCachePath, else $KRB5CCNAME, else /tmp/krb5cc_<uid>).
type KerberosAuth struct {
	// Username is "user" or "user@REALM"; it may be empty with a cache.
	Username string
	Password string
	// Realm applies when Username names none; default: krb5.conf's
	// default_realm.
	Realm      string
	KeytabPath string
	CCachePath string
	// ConfigPath is krb5.conf; default: $KRB5_CONFIG, else /etc/krb5.conf.
	ConfigPath string
	// SPN is the service principal; default "HTTP/<host of the URL>".
	SPN string
}

// Scheme implements Authenticator.
func (KerberosAuth) Scheme() string { return "Kerberos" }

// Authorize implements Authenticator; Kerberos here binds a connection.
func (KerberosAuth) Authorize(*http.Request) error { return errConnectionAuth }

// SendsSecretInClear implements Authenticator: no password crosses the
// wire, and over HTTP the messages are sealed.
func (KerberosAuth) SendsSecretInClear() bool { return false }

// mechanism logs in once (password or keytab) or reads the cache; every
// connection then gets its own context from a service ticket.
func (a KerberosAuth) mechanism(ctx context.Context) (newContext, error) {
	cl, err := krb.NewClient(ctx, krb.ClientConfig{
		User: a.Username, Realm: a.Realm, Password: a.Password,
		KeytabPath: a.KeytabPath, CCachePath: a.CCachePath, ConfigPath: a.ConfigPath,
	})
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, host string, bindings *ntlm.ChannelBindings) (gss.Context, error) {
		return cl.NewInitiator(ctx, krb.InitiatorConfig{Host: host, SPN: a.SPN, ChannelBindings: bindings})
	}, nil
}

// setupFailure reports why no security context could be made for a
// connection before anything reached the service. The KDC refusing the
// credentials, or credentials or a krb5.conf that cannot be used, is an
// *AuthError; a KDC that could not be reached or did not answer in time
// is a *TransportError (op "kdc"), which a retry may cure.
func setupFailure(serviceURL, scheme string, err error) error {
	var (
		refused *krb.KerberosError
		creds   *krb.CredentialsError
		conf    *krb.ConfigError
		ex      *krb.ExchangeError
	)
	switch {
	case errors.As(err, &refused), errors.As(err, &creds), errors.As(err, &conf):
	case errors.As(err, &ex) && ex.KDC,
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return &TransportError{Op: OpKDC, URL: serviceURL, Err: err}
	}
	return &AuthError{URL: serviceURL, Scheme: scheme, Err: err}
}
