package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/wsman"
)

// unencryptedRefusal is the clear refusal to send Basic credentials over
// plain HTTP without --allow-unencrypted.
type unencryptedRefusal struct{ err error }

func (e *unencryptedRefusal) Error() string { return e.err.Error() }
func (e *unencryptedRefusal) Unwrap() error { return e.err }
func (e *unencryptedRefusal) refusal()      {}

// newClient builds the WS-Man client the flags describe.
func (a *app) newClient(f *connFlags) (*wsman.Client, string, error) {
	endpoint, err := f.endpoint()
	if err != nil {
		return nil, "", err
	}
	var auth wsman.Authenticator
	switch strings.ToLower(f.auth) {
	case "basic":
		user, password, err := a.credentials(f)
		if err != nil {
			return nil, "", err
		}
		auth = &wsman.BasicAuth{Username: user, Password: password}
	case "ntlm", "negotiate", "kerberos", "certificate":
		return nil, "", &usageError{fmt.Errorf("--auth %s is not available in this version of cimjob; use --auth basic over --https, or over HTTP with --allow-unencrypted", f.auth)}
	default:
		return nil, "", &usageError{fmt.Errorf("unknown --auth %q (want basic)", f.auth)}
	}
	tlsCfg, err := a.tlsConfig(f)
	if err != nil {
		return nil, "", err
	}
	cfg := wsman.HTTPConfig{
		URL:              endpoint,
		Auth:             auth,
		AllowUnencrypted: f.allowUnencrypted,
		TLSConfig:        tlsCfg,
		MaxBodySize:      f.maxBody,
		Retries:          f.retries,
		UserAgent:        "cimjob/" + buildVersion(),
	}
	if f.retries <= 0 {
		cfg.Retries = -1 // wsman reads 0 as "the default"; --retries 0 means none
	}
	if f.debug {
		cfg.Debug = a.stderr
	}
	t, err := wsman.NewHTTPTransport(cfg)
	if errors.Is(err, wsman.ErrUnencrypted) {
		return nil, "", &usageError{&unencryptedRefusal{fmt.Errorf("refusing to send the %s password in the clear over plain HTTP to %s: use --https, or --allow-unencrypted if you accept that anyone on the path can read it", auth.Scheme(), endpoint)}}
	}
	if err != nil {
		return nil, "", &usageError{err}
	}
	c := &wsman.Client{Transport: t, URL: endpoint}
	c.Limits = cim.DefaultLimits
	c.Limits.MaxBytes = f.maxBody
	return c, endpoint, nil
}
