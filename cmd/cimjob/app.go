package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/cimjob/cimjob/internal/termtext"
)

// app is everything a command touches outside the process, so that tests
// and the demo can run the real commands with their own stdio and
// environment.
type app struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// lookupEnv is os.LookupEnv: a variable set but empty is not one
	// left unset (see env).
	lookupEnv    func(string) (string, bool)
	isTerminal   func() bool
	readPassword func() ([]byte, error)
	readFile     func(string) ([]byte, error)
	// listen opens the exporter's listeners; nil is net.ListenConfig's.
	// Tests listen on port 0 and learn the address here.
	listen func(ctx context.Context, network, address string) (net.Listener, error)
	// hangups, if set, starts delivering SIGHUP (reload the exporter's
	// config) and returns the channel and how to stop; only the exporter
	// asks, so other commands keep SIGHUP's default.
	hangups func() (<-chan os.Signal, func())
}

// run executes one command line and returns its exit code. Errors are
// reported here, once, as one line on stderr.
func (a *app) run(ctx context.Context, args []string) int {
	root := a.newRootCmd()
	root.SetArgs(args)
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	err := root.ExecuteContext(ctx)
	code := exitCode(err)
	if err != nil && code != exitJobFailed {
		msg := oneLine(err.Error())
		if h := hint(err); h != "" {
			msg += "; " + h
		}
		if code == exitUsage && !isRefusal(err) {
			msg += " (see 'cimjob --help')"
		}
		fmt.Fprintf(a.stderr, "cimjob: %s\n", msg)
	}
	return code
}

// oneLine folds a multi-line message so that every failure is one line,
// and cleans it: a fault's text comes from the host.
func oneLine(s string) string {
	return termtext.OneLine(termtext.Sanitize(s))
}

// env is the value of the environment variable k, "" when unset.
func (a *app) env(k string) string {
	v, _ := a.lookupEnv(k)
	return v
}
