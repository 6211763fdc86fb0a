// Command cimjob finds out why a Windows management job failed: it asks the
// job over WS-Management (WinRM) for its CIM_Error instances and prints them
// for people (-o text) or machines (-o json).
//
// Exit codes are the same for every command:
//
//	0  no error reported
//	1  the job reported errors or a non-success return value; across
//	   hosts: every host answered and a job failed
//	2  usage: bad flags or arguments, missing credentials, refused set-up
//	3  no answer: connection, TLS, authentication, fault, bad response;
//	   across hosts (jobs, check, identify): no host answered
//	4  across hosts: some answered and some did not
//	5  wait: the wait ended (--timeout, Ctrl-C) while the host answered
//	   and the job was still running
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	a := &app{
		stdin:     os.Stdin,
		stdout:    os.Stdout,
		stderr:    os.Stderr,
		lookupEnv: os.LookupEnv,
		isTerminal: func() bool {
			return term.IsTerminal(int(os.Stdin.Fd())) && term.IsTerminal(int(os.Stderr.Fd()))
		},
		readPassword: func() ([]byte, error) { return term.ReadPassword(int(os.Stdin.Fd())) },
		readFile:     os.ReadFile,
		hangups: func() (<-chan os.Signal, func()) {
			c := make(chan os.Signal, 1)
			signal.Notify(c, syscall.SIGHUP)
			return c, func() { signal.Stop(c) }
		},
	}
	code := a.run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
