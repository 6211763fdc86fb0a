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
// GetErrors returns for it. It returns ctx's error when ctx ends first,
// and *NotFoundError when the job is gone.
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
	for {
		inst, err := c.Get(ctx, uri, sel)
		if f, ok := notFound(err); ok {
			return nil, &NotFoundError{Ref: ref, Fault: f, Elsewhere: lookElsewhere(ctx, c, ref)}
		}
		if err != nil {
			return nil, fmt.Errorf("reading job %s: %w", ref.InstanceID, err)
		}
		props := newProperties(ref.Profile, inst)
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
			return nil, ctx.Err()
		case <-t.C:
		}
		step = min(2*step, hi)
	}
}

// jitter spreads d by a quarter either way, within [lo, hi], so that many
// waiters started together do not poll a host in step.
func jitter(d, lo, hi time.Duration) time.Duration {
	if q := int64(d / 2); q > 0 {
		d += time.Duration(rand.Int64N(q+1)) - d/4
	}
	return min(max(d, lo), hi)
}
