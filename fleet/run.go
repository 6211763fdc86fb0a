package fleet

import (
	"context"
	"time"

	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/wsman"
)

// Target is one host to probe: its name as the caller gave it, and the
// Config of its client (URL and credentials).
type Target struct {
	Name   string
	Config wsman.Config
}

// Options bound a run.
type Options struct {
	// Parallel is how many hosts are probed at once; 0 means
	// DefaultParallel.
	Parallel int
	// HostTimeout bounds each host's probe; 0 means only ctx bounds it.
	HostTimeout time.Duration
}

// DefaultParallel is how many hosts Run probes at once by default.
const DefaultParallel = 16

// A Probe asks one host what the run wants to know and fills r. An error
// means the host did not answer; Run then marks it Unreachable.
type Probe func(ctx context.Context, c *wsman.Client, r *HostResult) error

// Run probes every target with probe and calls emit with each host's
// result as soon as that host is done, from one goroutine at a time, in
// the order hosts finish. It returns when every host is reported or ctx
// ends; then the hosts still running are abandoned (their connections
// closed) and not reported.
func Run(ctx context.Context, targets []Target, opt Options, probe Probe, emit func(*HostResult)) Summary {
	return Summary{Targets: len(targets), Cancelled: true} // implemented on branch f8-lib
}

// Identify asks each host to identify itself (vendor, product and
// protocol versions), which also shows that authentication works.
func Identify() Probe { return nil }

// Jobs lists each host's jobs of the profile.
func Jobs(p job.Profile, opt job.ListOptions) Probe { return nil }

// Check lists each host's failed jobs of the profile (opt.Which is
// taken as job.Failed) and calls the error method of each, as
// job.GetErrors does.
func Check(p job.Profile, opt job.ListOptions, errs job.Options) Probe { return nil }
