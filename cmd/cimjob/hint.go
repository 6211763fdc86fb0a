package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"io/fs"
	"strings"
	"syscall"

	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/exporter"
	"github.com/cimjob/cimjob/internal/krb"
	"github.com/cimjob/cimjob/wsman"
)

// hint says what to do about err when its cause is recognisable, and ""
// otherwise. It is the only place that does, as exitCode is for exit
// codes: run appends it to the error's one line. Causes are recognised by
// type; text only where the type system carries nothing (a peer's reply).
func hint(err error) string {
	var (
		hostname  x509.HostnameError
		authority x509.UnknownAuthorityError
		record    tls.RecordHeaderError
		te        *wsman.TransportError
		he        *wsman.HTTPError
		ex        *krb.ExchangeError
		nf        *job.NotFoundError
		ae        *wsman.AuthError
		sr        *job.StillRunningError
		xce       *exporter.ConfigError
	)
	switch {
	case errors.As(err, &xce) && xce.Module == "" && errors.Is(err, fs.ErrNotExist):
		// The file itself, not one a module names.
		return "give the exporter's modules file with --config.file"
	case errors.As(err, &sr) && errors.Is(err, context.DeadlineExceeded):
		return "raise --timeout"
	case errors.Is(err, wsman.ErrNoKerberosTicket):
		return "run kinit, or give --keytab"
	case errors.As(err, &ex) && ex.Unreachable:
		return "check the realm's kdc entries in krb5.conf (--krb5-conf) and that a KDC is reachable, or use --auth ntlm"
	case errors.As(err, &hostname):
		return "the host's certificate is for other names: give one of them as --host, or as --tls-server-name"
	case errors.As(err, &authority):
		return "give the CA that issued the host's certificate with --ca-file"
	case errors.As(err, &record):
		return "the port speaks plain HTTP, not HTTPS: drop --https, or use the HTTPS port (5986)"
	case errors.As(err, &he) && he.StatusCode == 400 && strings.Contains(he.Snippet, "HTTP request to an HTTPS server"),
		errors.As(err, &te) && strings.HasPrefix(te.URL, "http:") && sentTLSAlert(te):
		return "the port speaks HTTPS: add --https"
	case errors.As(err, &te) && strings.HasPrefix(te.URL, "http:") && hungUp(te):
		// A TLS listener may hang up on plain HTTP, but so does a host
		// that drops the connection for its own reasons: say both.
		return "the host closed the connection without answering; if the port is an HTTPS listener (5986), add --https"
	case errors.As(err, &te) && te.Timeout():
		return "raise --timeout if the host is only slow"
	case errors.As(err, &te) && te.Op == wsman.OpDial && errors.Is(err, syscall.ECONNREFUSED):
		return "check --host: WinRM listens on 5985 (HTTP) and 5986 (HTTPS), when enabled (winrm quickconfig)"
	case errors.Is(err, wsman.ErrHeadTooLarge):
		// A fixed bound no flag raises.
		return "no WinRM service sends headers that large: check that --host is a WinRM listener"
	case errors.Is(err, cim.ErrTooLarge):
		return "raise --max-response-bytes if the host is trusted"
	case errors.As(err, &nf) && len(nf.Elsewhere) > 0:
		return "use " + refFlags(nf.Ref, nf.Elsewhere[0])
	case errors.As(err, &ae) && ae.Err == nil && ae.Scheme != "":
		return "check the user name and password, and that --auth is a scheme the host offers"
	}
	return ""
}

// sentTLSAlert reports whether a plain-HTTP exchange read a TLS alert
// record as the reply's status line: the listener speaks TLS.
func sentTLSAlert(te *wsman.TransportError) bool {
	return strings.Contains(te.Err.Error(), `"\x15\x03`)
}

// hungUp reports whether the connection was dropped or reset after the
// request, before a whole reply came.
func hungUp(te *wsman.TransportError) bool {
	return (te.Op == wsman.OpReply || te.Op == wsman.OpRead) && (errors.Is(te, syscall.ECONNRESET) || errors.Is(te, io.EOF) || errors.Is(te, io.ErrUnexpectedEOF))
}

// refFlags are the flags that name found instead of asked.
func refFlags(asked, found job.Ref) string {
	var flags []string
	if found.Profile.Name != asked.Profile.Name {
		flags = append(flags, "--profile "+found.Profile.Name)
	}
	if found.InstanceID != asked.InstanceID {
		flags = append(flags, "--job "+found.InstanceID)
	}
	return strings.Join(flags, " ")
}
