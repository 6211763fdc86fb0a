package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
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
	fs.Int64Var(&f.maxBody, "max-response-bytes", cim.DefaultLimits.MaxBytes, fmt.Sprintf("largest reply accepted, in bytes (%d to %d)", minResponseBytes, int64(wsman.MaxReplyBytesLimit)))
	fs.BoolVar(&f.debug, "debug", false, "print the SOAP exchange on stderr (credentials redacted)")
}

// minResponseBytes is the smallest --max-response-bytes: below it even a
// fault would not fit, so a smaller value can only be a mistake.
const minResponseBytes = 4 << 10

// check refuses flag values no connection can be made with.
func (f *connFlags) check() error {
	if f.timeout <= 0 {
		return &usageError{fmt.Errorf("--timeout must be positive, not %s", f.timeout)}
	}
	if f.maxBody < minResponseBytes || f.maxBody > wsman.MaxReplyBytesLimit {
		return &usageError{fmt.Errorf("--max-response-bytes %d is out of range: give %d to %d", f.maxBody, minResponseBytes, int64(wsman.MaxReplyBytesLimit))}
	}
	return nil
}

// endpoint turns --host and --https into the service URL.
func (f *connFlags) endpoint() (string, error) {
	h := strings.TrimSpace(f.host)
	if h == "" {
		return "", &usageError{errors.New("no host: give --host")}
	}
	// Checked before anything echoes h: a password in it must not end up
	// in an error message, a log or a terminal's scroll-back.
	if strings.Contains(h, "@") {
		return "", &usageError{fmt.Errorf("--host must not carry a user name or password: give the user with --user or $%s, and the password in $%s or --password-file", envUser, envPassword)}
	}
	if strings.Contains(h, "://") {
		u, err := url.Parse(h)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", &usageError{fmt.Errorf("--host %q is not an http(s) URL", h)}
		}
		if u.Scheme == "http" && f.https {
			return "", &usageError{fmt.Errorf("--https conflicts with --host %q: drop --https, or give an https:// URL", h)}
		}
		// Whatever follows '?' or '#' would go into every request's wsa:To.
		if strings.ContainsAny(h, "?#") {
			return "", &usageError{fmt.Errorf("--host %q: the URL of a WS-Man endpoint has no query or fragment: give scheme://host[:port][/path]", h)}
		}
		if err := checkHost(h, u.Hostname(), u.Port(), strings.HasSuffix(u.Host, ":"), strings.HasPrefix(u.Host, "[")); err != nil {
			return "", err
		}
		if u.Path == "" || u.Path == "/" {
			u.Path = "/wsman"
		}
		return u.String(), nil
	}
	scheme, port := "http", "5985"
	if f.https {
		scheme, port = "https", "5986"
	}
	bracketed := strings.HasPrefix(h, "[")
	host, portText, err := net.SplitHostPort(h)
	colon := err == nil
	if err != nil {
		// No port; a bare IPv6 address may still be bracketed, on both
		// sides.
		host, portText = h, ""
		if bracketed || strings.HasSuffix(h, "]") {
			inner, closed := strings.CutSuffix(strings.TrimPrefix(h, "["), "]")
			if !bracketed || !closed {
				return "", &usageError{fmt.Errorf("--host %q has unbalanced brackets: write [%s], or [%s]:PORT", h, inner, inner)}
			}
			host = inner
		}
	}
	if err := checkHost(h, host, portText, colon, bracketed); err != nil {
		return "", err
	}
	if portText != "" {
		port = portText
	}
	return (&url.URL{Scheme: scheme, Host: net.JoinHostPort(host, port), Path: "/wsman"}).String(), nil
}

// checkHost refuses a --host (given as h) whose host part cannot name a
// host, so that nothing odd is handed to DNS; port may be empty, though
// not after a colon (colon), and brackets (bracketed) go only around an
// IPv6 address.
func checkHost(h, host, port string, colon, bracketed bool) error {
	if port == "" && colon {
		return &usageError{fmt.Errorf("--host %q has a ':' but no port: give the port after it, or drop the ':'", h)}
	}
	if port != "" {
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return &usageError{fmt.Errorf("--host %q: bad port %q (want 1 to 65535)", h, port)}
		}
	}
	if strings.HasPrefix(host, "-") {
		return &usageError{fmt.Errorf("--host %q looks like a flag: give the host's name or address after --host", h)}
	}
	if !isHostName(host) {
		return &usageError{fmt.Errorf("--host %q is not a host name or IP address (a name is dot-separated labels of ASCII letters, digits, '-' and '_', no label starting or ending with '-'; an internationalised name goes in its xn-- form)", h)}
	}
	if addr, _, _ := strings.Cut(host, "%"); bracketed && !strings.Contains(addr, ":") {
		return &usageError{fmt.Errorf("--host %q: brackets go only around an IPv6 address: write the name or IPv4 address without them", h)}
	}
	return nil
}

// isHostName reports whether s is an IP address (an IPv6 one with an
// optional %zone) or a name of dot-separated labels of ASCII letters,
// digits, '-' and '_' (none empty, none starting or ending with '-', a
// final dot allowed): what a resolver can look up, and nothing that could
// disguise itself on a terminal or pass for a flag.
func isHostName(s string) bool {
	plain := func(s string) bool {
		for _, r := range s {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
				return false
			}
		}
		return s != "" && len(s) <= 253
	}
	if addr, zone, hasZone := strings.Cut(s, "%"); net.ParseIP(addr) != nil {
		return !hasZone || (strings.Contains(addr, ":") && plain(zone))
	}
	if !plain(s) {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
	}
	return true
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
