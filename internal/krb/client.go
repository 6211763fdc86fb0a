package krb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Bounds on the files this package reads.
const (
	maxConfigFile = 1 << 20
	maxCredFile   = 4 << 20
)

// ClientConfig says where a Client's credentials and krb5.conf come from.
// Credentials are taken, in this order, from Password, from KeytabPath, or
// from the credential cache (CCachePath, else $KRB5CCNAME, else
// /tmp/krb5cc_<uid>).
type ClientConfig struct {
	// User is "user", "user@REALM" or "user@domain" (the realm is
	// upper-cased, as Active Directory realms are). Required with Password
	// or KeytabPath; with a cache, it must match the cache's principal if
	// set.
	User string
	// Realm is used when User has none; default: krb5.conf default_realm.
	Realm      string
	Password   string
	KeytabPath string
	CCachePath string
	// ConfigPath is krb5.conf; default: the first file of $KRB5_CONFIG, else
	// /etc/krb5.conf.
	ConfigPath string
}

// Client holds a Kerberos login (a TGT) and gets service tickets. It is
// safe for concurrent use; one Client serves every connection to every
// host.
type Client struct {
	cl *client.Client
}

// NewClient loads krb5.conf and the credentials and, for a password or a
// keytab, logs in to the KDC. A refused login matches
// ErrAuthenticationFailed.
func NewClient(ctx context.Context, cfg ClientConfig) (*Client, error) {
	conf, err := loadConfig(cfg.ConfigPath)
	if err != nil {
		return nil, err
	}
	user, realm := splitPrincipal(cfg.User)
	if realm == "" {
		realm = cfg.Realm
	}
	if realm == "" {
		realm = conf.LibDefaults.DefaultRealm
	}
	settings := []func(*client.Settings){client.DisablePAFXFAST(true)}
	var cl *client.Client
	switch {
	case cfg.Password != "" || cfg.KeytabPath != "":
		if user == "" {
			return nil, &CredentialsError{Reason: "a user name is needed with a password or a keytab"}
		}
		if realm == "" {
			return nil, &CredentialsError{Reason: "no realm: give user@REALM or set default_realm in krb5.conf"}
		}
		if cfg.Password != "" {
			cl = client.NewWithPassword(user, realm, cfg.Password, conf, settings...)
		} else {
			kt, err := LoadKeytab(cfg.KeytabPath)
			if err != nil {
				return nil, err
			}
			cl = client.NewWithKeytab(user, realm, kt, conf, settings...)
		}
		if err := await(ctx, cl.Login); err != nil {
			return nil, kdcError("login", realm, err)
		}
	default:
		cc, err := loadCCache(cfg.CCachePath)
		if err != nil {
			return nil, err
		}
		if user != "" {
			p := cc.GetClientPrincipalName().PrincipalNameString()
			if p != user || (realm != "" && !strings.EqualFold(cc.GetClientRealm(), realm)) {
				return nil, &CredentialsError{Reason: fmt.Sprintf("credential cache holds %s@%s, not %s", p, cc.GetClientRealm(), cfg.User)}
			}
		}
		cl, err = client.NewFromCCache(cc, conf, settings...)
		if err != nil {
			return nil, &CredentialsError{Reason: "credential cache", Err: err}
		}
	}
	return &Client{cl: cl}, nil
}

// Principal is the client's "user@REALM".
func (c *Client) Principal() string {
	return c.cl.Credentials.CName().PrincipalNameString() + "@" + c.cl.Credentials.Domain()
}

// serviceTicket gets (or reuses) a ticket for spn.
func (c *Client) serviceTicket(ctx context.Context, spn string) (messages.Ticket, types.EncryptionKey, error) {
	var tkt messages.Ticket
	var key types.EncryptionKey
	err := await(ctx, func() error {
		var err error
		tkt, key, err = c.cl.GetServiceTicket(spn)
		return err
	})
	if err != nil {
		return tkt, key, kdcError("service ticket for "+spn, c.cl.Credentials.Domain(), err)
	}
	return tkt, key, nil
}

// await runs a gokrb5 call, which takes no context, and stops waiting when
// ctx ends. gokrb5 bounds its own network calls (it dials with a timeout),
// so an abandoned call ends by itself.
func await(ctx context.Context, f func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// splitPrincipal splits "user@realm"; the realm is upper-cased.
func splitPrincipal(p string) (user, realm string) {
	if i := strings.LastIndexByte(p, '@'); i >= 0 {
		return p[:i], strings.ToUpper(p[i+1:])
	}
	return p, ""
}

// ConfigPath is the krb5.conf a client uses when none is given: the first
// file named in $KRB5_CONFIG (a colon-separated list), else /etc/krb5.conf.
func ConfigPath() string {
	for _, p := range strings.Split(os.Getenv("KRB5_CONFIG"), ":") {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "/etc/krb5.conf"
}

func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		path = ConfigPath()
	}
	b, err := readBounded(path, maxConfigFile)
	if err != nil {
		return nil, &ConfigError{Path: path, Err: err}
	}
	conf, err := config.NewFromString(string(b))
	if err != nil {
		return nil, &ConfigError{Path: path, Err: err}
	}
	return conf, nil
}

// CCachePath is the credential cache a client uses when none is given:
// $KRB5CCNAME, else MIT's default /tmp/krb5cc_<uid>.
func CCachePath() string {
	if p := os.Getenv("KRB5CCNAME"); p != "" {
		return p
	}
	return fmt.Sprintf("/tmp/krb5cc_%d", os.Getuid())
}

// SplitCCacheName splits a credential cache name as Kerberos reads it:
// TYPE:RESIDUAL (FILE:/tmp/krb5cc_1000, DIR:..., KEYRING:...), where the
// type is what precedes the first colon when that holds no slash; a name
// without one is a file's path, and typed is false.
func SplitCCacheName(name string) (typ, residual string, typed bool) {
	if t, rest, ok := strings.Cut(name, ":"); ok && !strings.Contains(t, "/") {
		return t, rest, true
	}
	return "", name, false
}

func loadCCache(path string) (*credentials.CCache, error) {
	if path == "" {
		path = CCachePath()
	}
	if typ, rest, typed := SplitCCacheName(path); typed {
		if !strings.EqualFold(typ, "FILE") {
			return nil, &CredentialsError{Reason: "credential cache type " + typ + " is not supported (only FILE caches can be read); run kinit with KRB5CCNAME=FILE:/path"}
		}
		path = rest
	}
	b, err := readBounded(path, maxCredFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &CredentialsError{Reason: "no credential cache at " + path, Err: err, NoTicket: true}
	}
	if err != nil {
		return nil, &CredentialsError{Reason: "credential cache", Err: err}
	}
	cc := new(credentials.CCache)
	if err := unmarshalSafely(func() error { return cc.Unmarshal(b) }); err != nil {
		return nil, &CredentialsError{Reason: "credential cache " + path, Err: err}
	}
	return cc, nil
}

// LoadKeytab reads a keytab file (bounded in size).
func LoadKeytab(path string) (*keytab.Keytab, error) {
	b, err := readBounded(path, maxCredFile)
	if err != nil {
		return nil, &CredentialsError{Reason: "keytab", Err: err}
	}
	kt := keytab.New()
	if err := unmarshalSafely(func() error { return kt.Unmarshal(b) }); err != nil {
		return nil, &CredentialsError{Reason: "keytab " + path, Err: err}
	}
	return kt, nil
}

func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b, nil
}
