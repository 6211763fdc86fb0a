package exporter

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cimjob/cimjob/internal/krb"
	"github.com/cimjob/cimjob/internal/secretfile"
	"github.com/cimjob/cimjob/wsman"
)

// The auth modes of a module.
const (
	authNTLM        = "ntlm"
	authKerberos    = "kerberos"
	authBasic       = "basic"
	authCertificate = "certificate"
)

// maxSecretBytes bounds a password file: a password is short, and a large
// file is the wrong file.
const maxSecretBytes = 4 << 10

// maxPEMBytes bounds a certificate, key or CA file, and the keytab and
// krb5.conf read for a module's fingerprint.
const maxPEMBytes = 1 << 20

// credentials resolves the module's user, password, certificate and TLS
// settings into r.auth and r.tls; it returns the secrets read, for the
// module's fingerprint. An error names the key and, for an environment
// variable, the variable: never a value.
func (m *Module) credentials(r *resolved, dir string, env func(string) (string, bool)) ([][]byte, error) {
	mode := strings.ToLower(m.Auth)
	if mode == "" {
		mode = authNTLM
	}
	switch mode {
	case authNTLM, authKerberos, authBasic, authCertificate:
	default:
		return nil, fmt.Errorf("auth %q: want ntlm, kerberos, basic or certificate", m.Auth)
	}
	if mode != authKerberos {
		for key, v := range map[string]string{"keytab": m.Keytab, "ccache": m.CCache, "krb5_conf": m.Krb5Conf, "realm": m.Realm} {
			if v != "" {
				return nil, fmt.Errorf("%s is for auth kerberos, not %s: drop it", key, mode)
			}
		}
	}
	if mode != authCertificate && (m.CertFile != "" || m.KeyFile != "") {
		return nil, fmt.Errorf("cert_file and key_file are for auth certificate, not %s: drop them", mode)
	}

	user := m.Username
	if m.UsernameEnv != "" {
		if m.Username != "" {
			return nil, errors.New("username and username_env are both set: keep one")
		}
		v, err := lookup(env, "username_env", m.UsernameEnv)
		if err != nil {
			return nil, err
		}
		user = v
	}
	password, err := m.password(dir, env)
	if err != nil {
		return nil, err
	}
	secrets := [][]byte{[]byte(user), []byte(password)}

	switch mode {
	case authNTLM, authBasic:
		if user == "" || password == "" {
			return nil, fmt.Errorf("auth %s needs a user (username or username_env) and a password (password_env or password_file)", mode)
		}
		if mode == authNTLM {
			r.auth = wsman.NTLMAuth{Username: user, Password: password, SPN: m.SPN}
		} else {
			if !r.https && !m.AllowUnencrypted {
				return nil, errors.New("auth basic over http sends the password in the clear: use scheme https, or set allow_unencrypted: true")
			}
			r.auth = &wsman.BasicAuth{Username: user, Password: password}
		}
	case authKerberos:
		if password != "" && m.Keytab != "" {
			return nil, errors.New("a password and a keytab are both given: keep one")
		}
		if password != "" && user == "" {
			return nil, errors.New("a kerberos password needs a user: give username or username_env")
		}
		r.auth = wsman.KerberosAuth{Username: user, Password: password, Realm: m.Realm,
			KeytabPath: m.path(dir, m.Keytab), CCachePath: m.ccachePath(dir), ConfigPath: m.path(dir, m.Krb5Conf), SPN: m.SPN}
		// A client logs in once, so a keytab or krb5.conf replaced under
		// the same name must change the fingerprint for a reload to drop
		// the clients of the old one. Files that cannot be read now are
		// left to the login to report, as before.
		for _, p := range []string{m.Keytab, m.Krb5Conf} {
			if p == "" {
				continue
			}
			if b, err := readBounded(m.path(dir, p), maxPEMBytes); err == nil {
				secrets = append(secrets, b)
			}
		}
	case authCertificate:
		if !r.https {
			return nil, errors.New("auth certificate works only over https: set scheme: https")
		}
		if m.CertFile == "" || m.KeyFile == "" {
			return nil, errors.New("auth certificate needs cert_file and key_file")
		}
		if user != "" || password != "" {
			return nil, errors.New("auth certificate takes no user or password: drop them")
		}
		certPEM, err := readBounded(m.path(dir, m.CertFile), maxPEMBytes)
		if err != nil {
			return nil, fmt.Errorf("cert_file: %w", err)
		}
		keyPEM, err := readSecret(m.path(dir, m.KeyFile), "key_file", maxPEMBytes, env)
		if err != nil {
			return nil, err
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("cert_file/key_file: %w", err)
		}
		r.auth = wsman.CertificateAuth{Cert: cert}
		secrets = append(secrets, certPEM, keyPEM)
	}

	t := m.TLS
	if t != (TLSConfig{}) && !r.https {
		// It would be silently unused: over http no certificate is checked.
		return nil, errors.New("tls is for scheme https: set scheme: https, or drop tls")
	}
	if t.CAFile != "" || t.ServerName != "" || t.InsecureSkipVerify {
		r.tls = &tls.Config{ServerName: t.ServerName, MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // the module asks for it
		if t.CAFile != "" {
			pem, err := readBounded(m.path(dir, t.CAFile), maxPEMBytes)
			if err != nil {
				return nil, fmt.Errorf("tls: ca_file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("tls: ca_file %s holds no PEM certificate", t.CAFile)
			}
			r.tls.RootCAs = pool
			secrets = append(secrets, pem)
		}
	}
	return secrets, nil
}

// password is the module's password from password_env or password_file;
// "" when neither is given.
func (m *Module) password(dir string, env func(string) (string, bool)) (string, error) {
	switch {
	case m.PasswordEnv != "" && m.PasswordFile != "":
		return "", errors.New("password_env and password_file are both set: keep one")
	case m.PasswordEnv != "":
		return lookup(env, "password_env", m.PasswordEnv)
	case m.PasswordFile != "":
		b, err := readSecret(m.path(dir, m.PasswordFile), "password_file", maxSecretBytes, env)
		if err != nil {
			return "", err
		}
		// One line; the newline an editor or echo adds is not part of it.
		pw := strings.TrimRight(string(b), "\r\n")
		if pw == "" {
			return "", fmt.Errorf("password_file %s is empty: put the password in it", m.PasswordFile)
		}
		if strings.ContainsAny(pw, "\r\n") {
			return "", fmt.Errorf("password_file %s holds more than one line: put the password alone in it", m.PasswordFile)
		}
		return pw, nil
	}
	return "", nil
}

// lookup reads the environment variable name, the value of key. The error
// names the variable, never a value.
func lookup(env func(string) (string, bool), key, name string) (string, error) {
	v, ok := env(name)
	switch {
	case !ok:
		return "", fmt.Errorf("%s %s is not set", key, name)
	case v == "":
		return "", fmt.Errorf("%s %s is set but empty", key, name)
	}
	return v, nil
}

// readSecret reads a file of secrets (key), refused when its group or
// others may read or write it, but in systemd's credentials directory.
func readSecret(path, key string, max int64, env func(string) (string, bool)) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	if !secretfile.OwnerOnly(st.Mode()) && !systemdCredential(path, env) {
		return nil, fmt.Errorf("%s %s can be read by others: run chmod 600 %s", key, path, path)
	}
	b, err := readBounded(path, max)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	return b, nil
}

// systemdCredential reports whether path is a file of the service's
// systemd credentials directory ($CREDENTIALS_DIRECTORY, LoadCredential=).
// systemd makes each such file root's, mode 0400, on a read-only mount,
// and lets the service's user read it with a POSIX ACL, whose mask stat
// shows as group read (0440): private to the service all the same.
func systemdCredential(path string, env func(string) (string, bool)) bool {
	dir, ok := env("CREDENTIALS_DIRECTORY")
	return ok && filepath.IsAbs(dir) && filepath.Dir(filepath.Clean(path)) == filepath.Clean(dir)
}

// ccachePath is the module's ccache, a plain or FILE: path resolved
// against the configuration's directory like the other paths. Another
// type (DIR:, KEYRING:, ...) names no file here: it is passed on as
// written.
func (m *Module) ccachePath(dir string) string {
	switch typ, rest, typed := krb.SplitCCacheName(m.CCache); {
	case !typed:
		return m.path(dir, m.CCache)
	case strings.EqualFold(typ, "FILE"):
		return typ + ":" + m.path(dir, rest)
	}
	return m.CCache
}

// path resolves p against the configuration's directory.
func (m *Module) path(dir, p string) string {
	if p == "" || filepath.IsAbs(p) || dir == "" {
		return p
	}
	return filepath.Join(dir, p)
}
