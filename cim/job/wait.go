package job

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/cimjob/cimjob/wsman"
)

// WaitOptions says how Wait polls.
type WaitOptions struct {
	// PollMin and PollMax bound the backoff between polls (0 means
	// DefaultPollMin, DefaultPollMax); it doubles from PollMin, with jitter.
	PollMin, PollMax time.Duration
	// Progress, if set, is called with the job's properties after each
	// poll.
	Progress func(*Properties)
	// Errors are the GetErrors options used once the job has ended.
	Errors Options
}

// Defaults of WaitOptions.
const (
	DefaultPollMin = 500 * time.Millisecond
	DefaultPollMax = 15 * time.Second
)

// Wait polls the job until it reaches a terminal state, then returns what
// GetErrors returns for it. When ctx ends first it returns
// *StillRunningError (wrapping ctx's error) if a poll had read the job,
// else an error wrapping ctx's error; and *NotFoundError when the job is
// gone.
func Wait(ctx context.Context, c *wsman.Client, ref Ref, opt WaitOptions) (*Result, error) {
	if ref.InstanceID == "" {
		return nil, errors.New("job: no InstanceID given")
	}
	lo, hi := opt.PollMin, opt.PollMax
	if lo <= 0 {
		lo = DefaultPollMin
	}
	if hi <= 0 {
		hi = DefaultPollMax
	}
	if hi < lo {
		hi = lo
	}
	uri := ref.Profile.ResourceURI()
	sel := wsman.Selector{Name: "InstanceID", Value: ref.InstanceID}
	step := lo
	var last *Properties
	for {
		inst, err := c.Get(ctx, uri, sel)
		if f, ok := notFound(err); ok {
			return nil, &NotFoundError{Ref: ref, Fault: f, Elsewhere: lookElsewhere(ctx, c, ref)}
		}
		if err != nil {
			if last != nil && ctx.Err() != nil {
				// The host answered before: the wait ended, not the host.
				return nil, &StillRunningError{Ref: ref, Last: last, Err: ctx.Err()}
			}
			return nil, fmt.Errorf("reading job %s: %w", ref.InstanceID, err)
		}
		props := newProperties(ref.Profile, inst)
		last = props
		if opt.Progress != nil {
			opt.Progress(props)
		}
		if props.JobState != nil && Terminal(props.JobState.Value) {
			// The last poll already read the job: GetErrors need not
			// read it again.
			eo := opt.Errors
			skip := eo.SkipJob
			eo.SkipJob = true
			res, err := GetErrors(ctx, c, ref, eo)
			if err != nil {
				return nil, err
			}
			if !skip && res.Job == nil {
				res.Job = props
			}
			return res, nil
		}
		t := time.NewTimer(jitter(step, lo, hi))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, &StillRunningError{Ref: ref, Last: last, Err: ctx.Err()}
		case <-t.C:
		}
		step = min(2*step, hi)
	}
}

// StillRunningError says the wait ended (ctx's deadline or cancellation)
// while the host was answering and the job had not yet ended. It wraps
// ctx's error, so errors.Is(err, context.DeadlineExceeded) holds.
type StillRunningError struct {
	Ref Ref
	// Last is the job as the last poll read it.
	Last *Properties
	Err  error
}

func (e *StillRunningError) Error() string {
	state := "running"
	if e.Last != nil && e.Last.JobState != nil && e.Last.JobState.Name != "" {
		state = e.Last.JobState.Name
	}
	if e.Last != nil && e.Last.PercentComplete != nil {
		state += fmt.Sprintf(" (%d%%)", *e.Last.PercentComplete)
	}
	return fmt.Sprintf("job %s still %s when the wait ended: %v", e.Ref.InstanceID, state, e.Err)
}

func (e *StillRunningError) Unwrap() error { return e.Err }

// jitter spreads d by a quarter either way, within [lo, hi], so that many
// waiters started together do not poll a host in step.
func jitter(d, lo, hi time.Duration) time.Duration {
	if q := int64(d / 2); q > 0 {
		d += time.Duration(rand.Int64N(q+1)) - d/4
	}
	return min(max(d, lo), hi)
}
