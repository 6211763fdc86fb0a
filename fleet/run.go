package fleet

import (
	"context"
	"errors"
	"fmt"
	"sync"
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
// closed) and, with those never started, reported Unreachable with an
// Err that wraps ctx's error: a host that hung until the run's deadline
// is exactly the one a report must not leave out.
func Run(ctx context.Context, targets []Target, opt Options, probe Probe, emit func(*HostResult)) Summary {
	sum := Summary{Targets: len(targets)}
	n := opt.Parallel
	if n <= 0 {
		n = DefaultParallel
	}
	n = min(n, len(targets))
	// Hosts still running when ctx ends are cancelled through runCtx; the
	// results they then produce are dropped, and each is reported as not
	// having answered instead.
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	type result struct {
		i int
		r *HostResult
	}
	done := make(chan result)
	var wg sync.WaitGroup
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r := probeHost(runCtx, targets[i], opt.HostTimeout, probe)
				select {
				case done <- result{i, r}:
				case <-runCtx.Done():
					return
				}
			}
		}()
	}
	go func() {
		defer close(next)
		for i := range targets {
			select {
			case next <- i:
			case <-runCtx.Done():
				return
			}
		}
	}()
	reported := make([]bool, len(targets))
	report := func(i int, r *HostResult) {
		reported[i] = true
		sum.add(r)
		if emit != nil {
			emit(r)
		}
	}
	for left := len(targets); left > 0; left-- {
		select {
		case d := <-done:
			report(d.i, d.r)
			continue
		case <-ctx.Done():
		}
		sum.Cancelled = true
		break
	}
	cancel()
	// The workers end promptly: their probes see runCtx end, and their
	// clients are closed before they return.
	wg.Wait()
	if sum.Cancelled {
		for i, t := range targets {
			if !reported[i] {
				report(i, &HostResult{Host: t.Name, URL: t.Config.URL, Status: Unreachable,
					Err: fmt.Errorf("no answer before the run ended: %w", ctx.Err())})
			}
		}
	}
	return sum
}

func (s *Summary) add(r *HostResult) {
	switch r.Status {
	case Healthy:
		s.Healthy++
	case Failed:
		s.Failed++
	case Unreachable:
		s.Unreachable++
	}
	s.FailedJobs += len(r.FailedJobs)
}

// probeHost asks one host, with its own client and deadline.
func probeHost(ctx context.Context, t Target, timeout time.Duration, probe Probe) *HostResult {
	r := &HostResult{Host: t.Name, URL: t.Config.URL, Start: time.Now()}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	err := func() error {
		c, err := wsman.NewClient(t.Config)
		if err != nil {
			return err
		}
		defer c.Close()
		return probe(ctx, c, r)
	}()
	r.Duration = time.Since(r.Start)
	switch {
	case err != nil:
		r.Status, r.Err = Unreachable, err
		if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			// Say that the deadline, not the host, ended the probe, so that
			// errors.Is finds context.DeadlineExceeded.
			r.Err = fmt.Errorf("%w (%w)", err, ctx.Err())
		}
	case len(r.FailedJobs) > 0 || r.Status == Failed:
		// Jobs marks the host Failed itself: it keeps every job listed.
		r.Status = Failed
	default:
		r.Status = Healthy
	}
	return r
}

// Identify asks each host to identify itself (vendor, product and
// protocol versions), which also shows that authentication works.
func Identify() Probe {
	return func(ctx context.Context, c *wsman.Client, r *HostResult) error {
		id, err := c.Identify(ctx)
		if err != nil {
			return err
		}
		r.Identity = id
		return nil
	}
}

// Jobs lists each host's jobs of the profile. A listed job that opt.Policy
// counts as failed makes the host Failed. Jobs and Check keep the named
// Properties of each job, not the whole instance (Properties.Instance is
// nil), so that a run over many hosts stays small in memory.
func Jobs(p job.Profile, opt job.ListOptions) Probe {
	return func(ctx context.Context, c *wsman.Client, r *HostResult) error {
		jobs, err := job.List(ctx, c, p, opt)
		if err != nil {
			return err
		}
		r.Jobs = jobs
		for _, j := range jobs {
			j.Properties.Instance = nil
			if opt.Policy.Failed(j.Properties) {
				r.Status = Failed
			}
		}
		return nil
	}
}

// Check lists each host's failed jobs of the profile (opt.Which is
// taken as job.Failed) and calls the error method of each, as
// job.GetErrors does.
func Check(p job.Profile, opt job.ListOptions, errs job.Options) Probe {
	opt.Which = job.Failed
	return func(ctx context.Context, c *wsman.Client, r *HostResult) error {
		jobs, err := job.List(ctx, c, p, opt)
		if err != nil {
			return err
		}
		// The listing already holds each job's properties: GetErrors need
		// not read them again.
		eo := errs
		eo.SkipJob = true
		r.FailedJobs = make([]FailedJob, 0, len(jobs))
		for _, j := range jobs {
			j.Properties.Instance = nil
			if err := ctx.Err(); err != nil {
				return err
			}
			fj := FailedJob{Listed: j}
			res, err := job.GetErrors(ctx, c, j.Ref, eo)
			var nf *job.NotFoundError
			switch {
			case errors.As(err, &nf):
				fj.Vanished = true
			case err != nil:
				if ctx.Err() != nil {
					// The deadline ended the host, not this job alone.
					return err
				}
				fj.Err = err
			default:
				if !errs.SkipJob {
					res.Job = j.Properties
				}
				fj.Result = res
			}
			r.FailedJobs = append(r.FailedJobs, fj)
		}
		return nil
	}
}
