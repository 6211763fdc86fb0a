package fleet

import (
	"time"

	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/wsman"
)

// Status is how a host came out of a run.
type Status string

const (
	// Healthy: the host answered and no job of it counts as failed.
	Healthy Status = "healthy"
	// Failed: the host answered and at least one job counts as failed.
	Failed Status = "failed"
	// Unreachable: no answer came (connection, authentication, fault,
	// deadline); HostResult.Err says why.
	Unreachable Status = "unreachable"
)

// HostResult is what one host answered.
type HostResult struct {
	// Host is the host as the caller named it (Target.Name).
	Host string
	// URL is the service address asked.
	URL    string
	Status Status
	// Err is why the host did not answer; nil unless Unreachable.
	Err error
	// Identity is the host's Identify answer (Identify; Jobs and Check
	// fill it only when they ask).
	Identity *wsman.Identity
	// Jobs are the listed jobs (Jobs).
	Jobs []job.Listed
	// FailedJobs are the jobs that count as failed, with what their error
	// method returned (Check).
	FailedJobs []FailedJob
	// Start is when the host's probe started; Duration how long it took.
	Start    time.Time
	Duration time.Duration
}

// FailedJob is a failed job and what its error method said.
type FailedJob struct {
	job.Listed
	// Result is what the error method returned; nil when Vanished or Err.
	Result *job.Result
	// Vanished: the job was listed but gone when its error method was
	// called (the host removes ended jobs after a while). Noted, not fatal.
	Vanished bool
	// Err is why the error method failed for this job alone; the host
	// still answered.
	Err error
}

// Summary counts the hosts of a run.
type Summary struct {
	// Targets is how many hosts the run was asked to probe; Healthy,
	// Failed and Unreachable count them. When the run was cancelled, the
	// hosts it had not finished count as Unreachable.
	Targets, Healthy, Failed, Unreachable int
	// FailedJobs counts failed jobs over all hosts.
	FailedJobs int
	// Cancelled: ctx ended before every host had answered.
	Cancelled bool
}
