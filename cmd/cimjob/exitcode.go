package main

import (
	"errors"
	"fmt"

	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/exporter"
	"github.com/cimjob/cimjob/fleet"
	"github.com/cimjob/cimjob/wsman"
)

// Exit codes, documented in the package comment and the README.
const (
	exitOK        = 0
	exitJobFailed = 1
	exitUsage     = 2
	exitNoAnswer  = 3
	// exitSomeNoAnswer: a command across hosts had answers from some
	// hosts and none from others, whatever the others found.
	exitSomeNoAnswer = 4
	// exitStillRunning: wait ended (--timeout, Ctrl-C) while the host
	// answered and the job had not ended; not "no answer".
	exitStillRunning = 5
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
	var fe *fleetError
	var sr *job.StillRunningError
	var xce *exporter.ConfigError
	switch {
	case errors.As(err, &fe):
		return fe.code
	case errors.As(err, &sr):
		return exitStillRunning
	case errors.As(err, &je):
		return exitJobFailed
	case errors.As(err, &ive):
		// A value the request cannot carry is the caller's to fix, even
		// when the library found it on the way out.
		return exitUsage
	case errors.As(err, &xce):
		// The exporter's modules do not load: set-up, not an answer.
		return exitUsage
	case errors.As(err, &ae):
		return exitNoAnswer
	default:
		// Usage errors, and cobra's own errors (unknown command or flag).
		return exitUsage
	}
}

// fleetError is how a run across hosts (jobs, check, identify) came out
// when that was not "every host answered, no failed job".
type fleetError struct {
	code int
	msg  string
}

func (e *fleetError) Error() string { return e.msg }

// fleetOutcome maps a run's summary to its exit code: 3 when no host
// answered, 4 when some did and some did not (hosts a cancelled run never
// reported count as not answering), else 1 when a job counts as failed,
// else 0 (nil). why, if set, says why the run was cut short.
func fleetOutcome(s fleet.Summary, why string) error {
	answered := s.Healthy + s.Failed
	missing := s.Targets - answered
	var fe fleetError
	switch {
	case s.Targets > 0 && answered == 0:
		fe = fleetError{exitNoAnswer, fmt.Sprintf("no host answered (%d asked)", s.Targets)}
	case missing > 0:
		fe = fleetError{exitSomeNoAnswer, fmt.Sprintf("%d of %d hosts did not answer", missing, s.Targets)}
	case s.Failed > 0:
		fe = fleetError{exitJobFailed, fmt.Sprintf("%d failed jobs on %d hosts", s.FailedJobs, s.Failed)}
	default:
		return nil
	}
	if why != "" {
		fe.msg = why + ": " + fe.msg
	}
	return &fe
}
