package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/wsman"
)

// connFlags are the flags every command that talks to a host shares.
type connFlags struct {
	host             string
	https            bool
	auth             string
	user             string
	passwordFile     string
	spn              string
	ntlmNoTimestamp  bool
	certFile         string
	keyFile          string
	keytab           string
	krb5Conf         string
	caFile           string
	tlsServerName    string
	insecure         bool
	allowUnencrypted bool
	timeout          time.Duration
	retries          int
	maxBody          int64
	debug            bool
	// password comes from the config file (password: or password-env:),
	// never from a flag; see configPassword.
	password string
}

func (f *connFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.host, "host", "", "host to ask, as host, host:port or a full http(s)://host:port/wsman URL (never user:password@)")
	fs.BoolVar(&f.https, "https", false, "use HTTPS (default port 5986; plain HTTP defaults to 5985)")
	fs.StringVar(&f.auth, "auth", "", "authentication: ntlm (default; messages sealed over HTTP), kerberos, negotiate (kerberos with --keytab or a kinit ticket, else ntlm), basic or certificate (default: certificate with --cert-file, else ntlm)")
	fs.BoolVar(&f.ntlmNoTimestamp, "ntlm-allow-no-timestamp", false, "ntlm: accept a host (older than Windows Server 2008) whose challenge has no timestamp; this weakens protection against relays, as nothing then protects the handshake")
	fs.StringVar(&f.user, "user", "", "user name, DOMAIN\\user or user@domain (default $CIMJOB_USER)")
	fs.StringVar(&f.passwordFile, "password-file", "", "read the password from this file; an empty file is an error (default $CIMJOB_PASSWORD, else a prompt on a terminal)")
	fs.StringVar(&f.spn, "spn", "", "service principal name for kerberos (and the NTLM target name); default HTTP/<host>")
	fs.StringVar(&f.keytab, "keytab", "", "kerberos: log in with this keytab instead of a password")
	fs.StringVar(&f.krb5Conf, "krb5-conf", "", "kerberos: krb5.conf to use (default $KRB5_CONFIG, else /etc/krb5.conf); tickets come from $KRB5CCNAME when no password or keytab is given")
	fs.StringVar(&f.certFile, "cert-file", "", "certificate auth: PEM client certificate (HTTPS only)")
	fs.StringVar(&f.keyFile, "key-file", "", "certificate auth: PEM private key of --cert-file")
	fs.StringVar(&f.caFile, "ca-file", "", "PEM file of CA certificates to verify the host's certificate with (default: system roots)")
	fs.StringVar(&f.tlsServerName, "tls-server-name", "", "name to verify the host's certificate against (default: the host)")
	fs.BoolVar(&f.insecure, "insecure-skip-verify", false, "do not verify the host's TLS certificate (dangerous)")
	fs.BoolVar(&f.allowUnencrypted, "allow-unencrypted", false, "allow Basic credentials over plain HTTP, readable by anyone on the path")
	fs.DurationVar(&f.timeout, "timeout", 60*time.Second, "give up on the whole operation after this long")
	fs.IntVar(&f.retries, "retries", wsman.DefaultRetries, "retries of a request that could not connect or got 503/429 (never a fault or 401)")
	fs.Int64Var(&f.maxBody, "max-response-bytes", cim.DefaultLimits.MaxBytes, fmt.Sprintf("largest reply accepted, in bytes (%d to %d)", int64(wsman.MinReplyBytesLimit), int64(wsman.MaxReplyBytesLimit)))
	fs.BoolVar(&f.debug, "debug", false, "print the SOAP exchange on stderr (credentials redacted)")
}

// check refuses flag values no connection can be made with.
func (f *connFlags) check() error {
	if f.timeout <= 0 {
		return &usageError{fmt.Errorf("--timeout must be positive, not %s", f.timeout)}
	}
	if f.maxBody < int64(wsman.MinReplyBytesLimit) || f.maxBody > wsman.MaxReplyBytesLimit {
		return &usageError{fmt.Errorf("--max-response-bytes %d is out of range: give %d to %d", f.maxBody, int64(wsman.MinReplyBytesLimit), int64(wsman.MaxReplyBytesLimit))}
	}
	return nil
}

// endpoint turns --host and --https into the service URL (see
// wsman.Endpoint), with refusals that name the flags.
func (f *connFlags) endpoint() (string, error) {
	u, err := wsman.Endpoint(f.host, wsman.EndpointDefaults{HTTPS: f.https})
	var ee *wsman.EndpointError
	if !errors.As(err, &ee) {
		return u, err
	}
	switch ee.Problem {
	case wsman.EndpointEmpty:
		return "", &usageError{errors.New("no host: give --host")}
	case wsman.EndpointCredentials:
		return "", &usageError{fmt.Errorf("--host must not carry a user name or password: give the user with --user or $%s, and the password in $%s or --password-file", envUser, envPassword)}
	case wsman.EndpointSchemeConflict:
		return "", &usageError{fmt.Errorf("--https conflicts with --host %q: drop --https, or give an https:// URL", ee.Host)}
	}
	return "", &usageError{errors.New(ee.Message("--host"))}
}

// tlsConfig builds the TLS settings; nil means the defaults (system roots).
func (a *app) tlsConfig(f *connFlags) (*tls.Config, error) {
	if f.caFile == "" && f.tlsServerName == "" && !f.insecure {
		return nil, nil
	}
	cfg := &tls.Config{ServerName: f.tlsServerName, MinVersion: tls.VersionTLS12}
	if f.caFile != "" {
		pem, err := a.readFile(f.caFile)
		if err != nil {
			return nil, &usageError{fmt.Errorf("--ca-file: %w", err)}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, &usageError{fmt.Errorf("--ca-file %s holds no PEM certificate", f.caFile)}
		}
		cfg.RootCAs = pool
	}
	if f.insecure {
		fmt.Fprintln(a.stderr, "cimjob: warning: --insecure-skip-verify: the host's certificate is not checked; anyone on the path can read and change this exchange")
		cfg.InsecureSkipVerify = true //nolint:gosec // the user asked for it and was warned
	}
	return cfg, nil
}
