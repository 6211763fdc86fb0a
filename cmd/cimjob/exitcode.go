package main

import (
	"errors"

	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/wsman"
)

// Exit codes, documented in the package comment and the README.
const (
	exitOK        = 0
	exitJobFailed = 1
	exitUsage     = 2
	exitNoAnswer  = 3
)

// usageError is a problem with how cimjob was called or set up.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// refusal marks a usage error that is a deliberate refusal (such as Basic
// over plain HTTP) rather than a mistyped command line.
type refusal interface{ refusal() }

func isRefusal(err error) bool {
	var r refusal
	return errors.As(err, &r)
}

// answerError is any failure to get or understand an answer from the host.
type answerError struct{ err error }

func (e *answerError) Error() string { return e.err.Error() }
func (e *answerError) Unwrap() error { return e.err }

// exitCode maps an error to the process exit code. This is the only place
// that does: commands return typed errors and never exit themselves.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var je *job.FailedError
	var ive *wsman.InvalidValueError
	var ae *answerError
	switch {
	case errors.As(err, &je):
		return exitJobFailed
	case errors.As(err, &ive):
		// A value the request cannot carry is the caller's to fix, even
		// when the library found it on the way out.
		return exitUsage
	case errors.As(err, &ae):
		return exitNoAnswer
	default:
		// Usage errors, and cobra's own errors (unknown command or flag).
		return exitUsage
	}
}
