package job

import (
	"context"
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
	return nil, errNotBuilt
}
