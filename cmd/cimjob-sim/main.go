// Command cimjob-sim runs the WS-Management simulator standalone: a
// simulated Windows Hyper-V host whose jobs failed (or misbehave) in known
// ways, for trying cimjob without a Windows host.
//
//	cimjob-sim [--listen ADDR] [--scenario default.json] [--fixtures DIR]
//	           [--tls [--cert-out FILE] [--client-ca FILE]] [-v]
//
//	cimjob-sim --hosts N [--per-address] [--jobs N] [--seed S] [--latency D]
//	           [--jitter D] [--hang F] [--drop F] [--auth-fail F] [--flaky F
//	           [--fail-rate F]] [--hosts-file-out FILE]
//
// With --hosts it serves a fleet of generated hosts (scenario fleet.json
// unless --scenario says otherwise) and writes their URLs to a hosts file.
//
// With --tls it serves HTTPS (default 127.0.0.1:5986) with a certificate
// made at start and writes the CA to trust to --cert-out, a file it
// creates (never one that exists, nor through a link), or by default to
// a new private directory; the banner names it, and it is removed at exit.
package main

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/cimjob/cimjob/simulator"
)

func main() {
	os.Exit(exitCode(run(os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("cimjob-sim", flag.ContinueOnError)
	fl.SetOutput(stderr)
	listen := fl.String("listen", "", "address to listen on (default 127.0.0.1:5985, or 127.0.0.1:5986 with --tls)")
	scenario := fl.String("scenario", "default.json", "scenario file in the fixtures' scenarios/ directory")
	dir := fl.String("fixtures", "", "fixtures directory (holding responses/ and scenarios/); default: the built-in fixtures")
	verbose := fl.Bool("v", false, "log every request to stderr")
	useTLS := fl.Bool("tls", false, "serve HTTPS with a certificate made at start")
	certOut := fl.String("cert-out", "", "with --tls: a new file to write the CA certificate to trust to, removed at exit; it must not exist (default: ca.pem in a new private temporary directory)")
	clientCA := fl.String("client-ca", "", "with --tls: PEM file of CAs whose client certificates the host accepts for certificate mapping")
	keytab := fl.String("keytab", "", "accept Kerberos (Negotiate or Kerberos scheme) with the HTTP/host service keys in this keytab, as a domain-joined host does")
	// Generated jobs and fleets of hosts.
	ff := addFleetFlags(fl)
	if done, err := meta(fl, args, stdout, stderr); done {
		return err
	}
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fl.Args())
	}
	opt := simulator.Options{Scenario: *scenario}
	if *dir != "" {
		opt.FS = os.DirFS(*dir)
	}
	if *verbose {
		opt.Logf = log.New(stderr, "", log.LstdFlags).Printf
	}
	l := listener{addr: *listen, tls: *useTLS, certOut: *certOut}
	if !l.tls && (l.certOut != "" || *clientCA != "") {
		return fmt.Errorf("--cert-out and --client-ca need --tls")
	}
	if l.addr == "" {
		l.addr = "127.0.0.1:5985"
		if l.tls {
			l.addr = "127.0.0.1:5986"
		}
	}
	if *clientCA != "" {
		cas, err := readCerts(*clientCA)
		if err != nil {
			return err
		}
		opt.ClientCAs = cas
	}
	if *keytab != "" {
		f, err := simulator.KerberosAcceptors(*keytab, l.tls)
		if err != nil {
			return err
		}
		opt.NewAcceptor = f
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if ff.hosts > 0 {
		fleetScenario := "fleet.json"
		fl.Visit(func(f *flag.Flag) {
			if f.Name == "scenario" {
				fleetScenario = *scenario
			}
		})
		return serveFleet(ctx, ff, *listen, fleetScenario, opt, *useTLS, stdout, nil)
	}
	ff.apply(&opt)
	return serve(ctx, opt, l, *dir, stdout, nil)
}

// listener says where and how to serve.
type listener struct {
	addr    string
	tls     bool
	certOut string // with tls: where the CA to trust is written; "" for a new private directory
}

// readCerts reads the certificates of a PEM file (bounded: a CA bundle).
func readCerts(path string) ([]*x509.Certificate, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 1<<20+1))
	if err != nil {
		return nil, err
	}
	if len(data) > 1<<20 {
		return nil, fmt.Errorf("%s: larger than 1 MiB", path)
	}
	var out []*x509.Certificate
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no PEM certificate", path)
	}
	return out, nil
}

// serve starts the simulator, prints how to reach it and serves until ctx
// ends. ready, if not nil, receives the URL once the banner is out.
func serve(ctx context.Context, opt simulator.Options, l listener, dir string, out io.Writer, ready chan<- string) error {
	s, err := simulator.New(opt)
	if err != nil {
		return err
	}
	var url string
	if l.tls {
		url, err = s.StartTLS(l.addr)
	} else {
		url, err = s.Start(l.addr)
	}
	if err != nil {
		return err
	}
	defer s.Close()
	if l.tls {
		path, remove, err := writeNew(l.certOut, "ca.pem", "the CA certificate", "--cert-out", s.CertPEM())
		if err != nil {
			return err
		}
		defer remove()
		l.certOut = path
	}
	printBanner(out, s, opt, url, dir, l)
	if ready != nil {
		ready <- url
	}
	<-ctx.Done()
	fmt.Fprintln(out, "cimjob-sim: shutting down")
	return s.Close()
}

// writeNew writes data to path, or with path "" to name in a new
// directory only this user can enter, and returns where it went and how to
// remove it; what names the file in errors (what "the CA certificate") and
// flag the option that gives path. A shared directory such as /tmp is
// anyone's: a fixed name there could already be another user's file (a CA
// our clients would then trust, hosts they would then call) or a link to
// one of ours (which we would overwrite). So the file is always new: O_EXCL
// fails on anything that exists, a link included, without following it.
func writeNew(path, name, what, flag string, data []byte) (string, func(), error) {
	cleanup := func() {}
	if path == "" {
		dir, err := os.MkdirTemp("", "cimjob-sim-")
		if err != nil {
			return "", nil, fmt.Errorf("making a directory for %s: %w", what, err)
		}
		path = filepath.Join(dir, name)
		cleanup = func() { os.RemoveAll(dir) }
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		cleanup()
		return "", nil, fmt.Errorf("%s %s already exists: remove it, or give a path that does not", flag, path)
	}
	if err != nil {
		cleanup()
		return "", nil, fmt.Errorf("writing %s: %w", what, err)
	}
	_, err = f.Write(data)
	written, serr := f.Stat()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = serr
	}
	if err != nil {
		os.Remove(path)
		cleanup()
		return "", nil, fmt.Errorf("writing %s: %w", what, err)
	}
	remove := func() {
		// Only the file written here: whatever may have replaced it since
		// is not ours to delete.
		if now, err := os.Lstat(path); err == nil && os.SameFile(now, written) {
			os.Remove(path)
		}
		cleanup()
	}
	return path, remove, nil
}

func printBanner(out io.Writer, s *simulator.Server, opt simulator.Options, url, dir string, l listener) {
	sc, scenario := s.Scenario(), opt.Scenario
	src := "built-in fixtures"
	if dir != "" {
		src = dir
	}
	fmt.Fprintf(out, "cimjob-sim: simulating %s (%s, scenario %s)\n", sc.Host, src, scenario)
	fmt.Fprintf(out, "  %s\n", sc.Description)
	fmt.Fprintf(out, "URL:   %s\n", url)
	if l.tls {
		fmt.Fprintf(out, "CA:    %s (the certificate to trust: cimjob --ca-file %s)\n", l.certOut, l.certOut)
	}
	for _, u := range sortedUsers(sc.Users) {
		if dir == "" {
			// The built-in scenarios' users are fixed demo credentials,
			// published with the fixtures; a --fixtures tree's are the
			// user's own and stay in their file.
			fmt.Fprintf(out, "User:  %s  password: %s (the built-in scenario's demo credential)\n", u, sc.Users[u])
		} else {
			fmt.Fprintf(out, "User:  %s (its password is in %s)\n", u, filepath.Join(dir, "scenarios", scenario))
		}
	}
	fmt.Fprintf(out, "Auth:\n")
	for _, m := range authModes(sc, l.tls, len(opt.ClientCAs) > 0, opt.NewAcceptor != nil) {
		fmt.Fprintf(out, "  %s\n", m)
	}
	fmt.Fprintf(out, "Jobs:\n")
	for _, j := range s.Jobs() {
		fmt.Fprintf(out, "  %-6s %s  %s\n", j.Profile, j.InstanceID, j.Title)
	}
	fmt.Fprintf(out, "Stop with Ctrl-C.\n")
}

// authModes says which of cimjob's --auth modes the host accepts on this
// listener, and which it refuses, the way the scenario configures it.
func authModes(sc *simulator.Scenario, https, clientCAs, keytab bool) []string {
	enabled := func(scheme string) bool {
		for _, x := range sc.AuthSchemes {
			if strings.EqualFold(x, scheme) {
				return true
			}
		}
		return len(sc.AuthSchemes) == 0 && scheme == "Basic"
	}
	var out []string
	if enabled("Negotiate") {
		switch {
		case https && strings.EqualFold(sc.CbtHardeningLevel, "strict"):
			out = append(out, "ntlm         accepted; channel bindings required (CbtHardeningLevel=Strict)")
		case https:
			out = append(out, "ntlm         accepted")
		case sc.AllowUnencrypted:
			out = append(out, "ntlm         accepted, messages sealed or plain")
		default:
			out = append(out, "ntlm         accepted; every message must be sealed (AllowUnencrypted=false)")
		}
	}
	switch {
	case keytab && (enabled("Negotiate") || enabled("Kerberos")):
		out = append(out, "kerberos     accepted with the service keys of --keytab (SPN HTTP/<the host name you connect to>)")
	case enabled("Kerberos"):
		out = append(out, "kerberos     offered, but refused: start with --keytab to accept it")
	}
	switch {
	case !enabled("Basic"):
		out = append(out, "basic        refused (Basic is disabled)")
	case https:
		out = append(out, "basic        accepted")
	case sc.AllowUnencrypted:
		out = append(out, "basic        accepted over plain HTTP (AllowUnencrypted=true: cimjob needs --allow-unencrypted)")
	default:
		out = append(out, "basic        refused on HTTP (AllowUnencrypted=false); serve with --tls")
	}
	if enabled("Certificate") {
		switch {
		case https && clientCAs:
			out = append(out, fmt.Sprintf("certificate  accepted for %d certificate mapping(s) by UPN", len(sc.CertMappings)))
		case https:
			out = append(out, "certificate  refused: no client CA to verify certificates with (--client-ca)")
		default:
			out = append(out, "certificate  needs HTTPS; serve with --tls")
		}
	}
	return out
}

func sortedUsers(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for u := range m {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}
