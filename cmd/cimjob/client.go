package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/internal/krb"
	"github.com/cimjob/cimjob/wsman"
)

// unencryptedRefusal is the clear refusal to send Basic credentials over
// plain HTTP without --allow-unencrypted.
type unencryptedRefusal struct{ err error }

func (e *unencryptedRefusal) Error() string { return e.err.Error() }
func (e *unencryptedRefusal) Unwrap() error { return e.err }
func (e *unencryptedRefusal) refusal()      {}

// Auth modes of --auth.
const (
	authNTLM        = "ntlm"
	authKerberos    = "kerberos"
	authBasic       = "basic"
	authCertificate = "certificate"
	authNegotiate   = "negotiate"
)

// authMode is the --auth the flags ask for: NTLM unless told otherwise,
// because that is what a Windows host accepts out of the box. Negotiate is
// resolved here, once, as PowerShell's is: Kerberos first (see
// negotiatesKerberos), else NTLM.
func (f *connFlags) authMode() (string, error) {
	mode := strings.ToLower(f.auth)
	switch mode {
	case "":
		if f.certFile != "" {
			return authCertificate, nil
		}
		return authNTLM, nil
	case authNTLM, authKerberos, authBasic, authCertificate:
		return mode, nil
	case authNegotiate:
		if f.negotiatesKerberos() {
			return authKerberos, nil
		}
		return authNTLM, nil
	}
	return "", &usageError{fmt.Errorf("unknown --auth %q (want ntlm, kerberos, negotiate, basic or certificate)", f.auth)}
}

// negotiatesKerberos reports whether --auth negotiate takes Kerberos: when
// there are Kerberos credentials to use, a --keytab or a credential cache
// (kinit's). It is decided before connecting; unlike Windows, a Kerberos
// failure does not then fall back to NTLM.
func (f *connFlags) negotiatesKerberos() bool {
	if f.keytab != "" {
		return true
	}
	// The process environment, not app.lookupEnv: it is where the Kerberos
	// library will look for the cache.
	_, path, _ := krb.SplitCCacheName(krb.CCachePath())
	_, err := os.Stat(path)
	return err == nil
}

// authenticator builds the credentials for the mode.
func (a *app) authenticator(f *connFlags, mode string, https bool) (wsman.Authenticator, error) {
	// Set but empty is a mistake (a variable expanded from nothing), not
	// "no password": Kerberos would fall back to whatever tickets the
	// cache holds, as someone else perhaps. So it is refused in every
	// mode, whether or not the mode would have read it.
	if pw, set := a.lookupEnv(envPassword); set && pw == "" {
		return nil, &usageError{fmt.Errorf("%s is set but empty: put the password in it, or unset it", envPassword)}
	}
	switch mode {
	case authNTLM:
		user, password, err := a.credentials(f)
		if err != nil {
			return nil, err
		}
		return wsman.NTLMAuth{Username: user, Password: password, SPN: f.spn, AllowNoTimestamp: f.ntlmNoTimestamp}, nil
	case authBasic:
		user, password, err := a.credentials(f)
		if err != nil {
			return nil, err
		}
		return &wsman.BasicAuth{Username: user, Password: password}, nil
	case authKerberos:
		k := wsman.KerberosAuth{Username: a.userName(f), KeytabPath: f.keytab, ConfigPath: f.krb5Conf, SPN: f.spn}
		// A password is used when one is given; otherwise the keytab, and
		// otherwise the tickets in the credential cache. Kerberos never
		// prompts: a cache is the usual way in.
		if f.keytab == "" {
			pw, err := a.optionalPassword(f)
			if err != nil {
				return nil, err
			}
			k.Password = pw
		}
		if k.Password != "" && k.Username == "" {
			return nil, &usageError{fmt.Errorf("a kerberos password needs a user name: give --user or set %s", envUser)}
		}
		return k, nil
	case authCertificate:
		if !https {
			return nil, &usageError{errors.New("--auth certificate works only over HTTPS: add --https")}
		}
		if f.certFile == "" || f.keyFile == "" {
			return nil, &usageError{errors.New("--auth certificate needs --cert-file and --key-file")}
		}
		certPEM, err := a.readFile(f.certFile)
		if err != nil {
			return nil, &usageError{fmt.Errorf("--cert-file: %w", err)}
		}
		keyPEM, err := a.readFile(f.keyFile)
		if err != nil {
			return nil, &usageError{fmt.Errorf("--key-file: %w", err)}
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, &usageError{fmt.Errorf("--cert-file/--key-file: %w", err)}
		}
		return wsman.CertificateAuth{Cert: cert}, nil
	}
	return nil, &usageError{fmt.Errorf("unknown --auth %q", mode)}
}

// newClient builds the WS-Man client the flags describe; the caller
// closes it.
func (a *app) newClient(f *connFlags) (*wsman.Client, string, error) {
	endpoint, err := f.endpoint()
	if err != nil {
		return nil, "", err
	}
	base, err := a.clientConfig(f, strings.HasPrefix(endpoint, "https:"))
	if err != nil {
		return nil, "", err
	}
	cfg := base
	cfg.URL = endpoint
	c, err := newCheckedClient(cfg)
	if err != nil {
		return nil, "", err
	}
	return c, endpoint, nil
}

// clientConfig builds, once, the client Config the flags describe, all
// but its URL: one host's or a fleet's, whose hosts differ only in URL
// (see hostConfig). https says whether the URLs are HTTPS, for the checks
// that depend on it.
func (a *app) clientConfig(f *connFlags, https bool) (wsman.Config, error) {
	mode, err := f.authMode()
	if err != nil {
		return wsman.Config{}, err
	}
	auth, err := a.authenticator(f, mode, https)
	if err != nil {
		return wsman.Config{}, err
	}
	tlsCfg, err := a.tlsConfig(f)
	if err != nil {
		return wsman.Config{}, err
	}
	cfg := wsman.Config{
		Auth:             auth,
		AllowUnencrypted: f.allowUnencrypted,
		TLSConfig:        tlsCfg,
		Limits:           cim.Limits{MaxBytes: f.maxBody},
		Retries:          f.retries,
		UserAgent:        "cimjob/" + buildVersion(),
	}
	if f.retries <= 0 {
		cfg.Retries = -1 // wsman reads 0 as "the default"; --retries 0 means none
	}
	if f.debug {
		cfg.Debug = a.stderr
	}
	return cfg, nil
}

// hostConfig is base (from clientConfig) for one host, named as --host
// would name it, checked as newClient checks it.
func hostConfig(f *connFlags, base wsman.Config, host string) (wsman.Config, error) {
	g := *f
	g.host = host
	endpoint, err := g.endpoint()
	if err != nil {
		return wsman.Config{}, err
	}
	cfg := base
	cfg.URL = endpoint
	if _, cert := cfg.Auth.(wsman.CertificateAuth); cert && !strings.HasPrefix(endpoint, "https:") {
		return wsman.Config{}, &usageError{fmt.Errorf("--auth certificate works only over HTTPS: %s is plain HTTP; add --https or give an https:// URL", endpoint)}
	}
	// NewClient opens no connection: building one is how to ask wsman
	// whether it would refuse the Config, in its own words.
	c, err := newCheckedClient(cfg)
	if err != nil {
		return wsman.Config{}, err
	}
	c.Close()
	return cfg, nil
}

// newCheckedClient is wsman.NewClient with its refusals as usage errors.
func newCheckedClient(cfg wsman.Config) (*wsman.Client, error) {
	c, err := wsman.NewClient(cfg)
	if errors.Is(err, wsman.ErrUnencrypted) {
		return nil, &usageError{&unencryptedRefusal{fmt.Errorf("refusing to send the %s password in the clear over plain HTTP to %s: use --https, the default --auth ntlm (which seals every message), or --allow-unencrypted if you accept that anyone on the path can read it", cfg.Auth.Scheme(), cfg.URL)}}
	}
	if err != nil {
		return nil, &usageError{err}
	}
	return c, nil
}
