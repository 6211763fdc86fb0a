package main

import (
	"errors"
	"fmt"
	"strings"
)

// Environment variables that carry credentials, so that they never need to
// be on the command line (where ps and shell history would show them).
const (
	envUser     = "CIMJOB_USER"
	envPassword = "CIMJOB_PASSWORD"
)

// credentials returns the user name and password from the flags, the
// environment, a file, or a prompt on a terminal, in that order.
func (a *app) credentials(f *connFlags) (user, password string, err error) {
	if user = a.userName(f); user == "" {
		return "", "", &usageError{fmt.Errorf("no user name: give --user or set %s", envUser)}
	}
	if password, err = a.optionalPassword(f); err != nil {
		return "", "", err
	}
	switch {
	case password != "":
	case a.isTerminal != nil && a.isTerminal():
		fmt.Fprintf(a.stderr, "Password for %s: ", user)
		b, err := a.readPassword()
		fmt.Fprintln(a.stderr)
		if err != nil {
			return "", "", &usageError{fmt.Errorf("reading the password: %w", err)}
		}
		password = string(b)
	default:
		return "", "", &usageError{fmt.Errorf("no password: set %s, give --password-file, or run on a terminal to be asked", envPassword)}
	}
	if password == "" {
		return "", "", &usageError{errors.New("the password is empty")}
	}
	return user, password, nil
}

// userName is --user, else $CIMJOB_USER; "" when neither is set.
func (a *app) userName(f *connFlags) string {
	if f.user != "" {
		return f.user
	}
	return a.env(envUser)
}

// optionalPassword returns a password given by file, environment or the
// config file (applyConfig), or "" when none is: for mechanisms that have
// other ways in.
func (a *app) optionalPassword(f *connFlags) (string, error) {
	if f.passwordFile != "" {
		b, err := a.readFile(f.passwordFile)
		if err != nil {
			return "", &usageError{fmt.Errorf("--password-file: %w", err)}
		}
		// A trailing newline is the editor's, not the password's.
		pw := strings.TrimRight(string(b), "\r\n")
		if pw == "" {
			// Not "no password": that would let Kerberos fall back to
			// whatever tickets the cache holds, as someone else perhaps.
			return "", &usageError{fmt.Errorf("--password-file %s is empty: put the password in it, or leave the flag out", f.passwordFile)}
		}
		return pw, nil
	}
	if pw := a.env(envPassword); pw != "" {
		return pw, nil
	}
	return f.password, nil
}
