package job

import (
	"context"
	"errors"
	"time"

	"github.com/cimjob/cimjob/wsman"
)

// Which selects jobs by how far they got.
type Which int

const (
	// All jobs.
	All Which = iota
	// Failed jobs: see FailurePolicy.
	Failed
	// Running jobs: those not yet in a terminal state.
	Running
	// Done jobs: those in a terminal state, failed or not.
	Done
)

// FailurePolicy says which jobs count as failed. A job is failed when its
// JobState is Exception, or when it reached any terminal state with an
// ErrorCode other than 0; States adds terminal states that count as failed
// whatever the ErrorCode (StateKilled, StateTerminated).
type FailurePolicy struct {
	States []uint64
}

// Failed reports whether the job counts as failed under the policy.
func (fp FailurePolicy) Failed(p *Properties) bool {
	return false // implemented on branch f8-lib
}

// ListOptions says which jobs List returns.
type ListOptions struct {
	Which Which
	// Policy decides what Failed means for Which == Failed.
	Policy FailurePolicy
	// Since, if not zero, keeps the jobs that started (or, not yet
	// started, were submitted) at or after it.
	Since time.Time
	// BatchSize is the items asked for per Enumerate/Pull reply; 0 means
	// DefaultBatchSize.
	BatchSize int
}

// DefaultBatchSize is the items List asks for in each reply.
const DefaultBatchSize = 100

// Listed is one job from a listing: how to address it and its properties.
// Ref.Profile has the class the instance was listed under, which for a
// subclass (Msvm_MigrationJob among Msvm_ConcreteJob) is its own.
type Listed struct {
	Ref        Ref
	Properties *Properties
}

var errNotBuilt = errors.New("job: not built yet (branch f8-lib)")

// List enumerates the profile's jobs on the host with one WQL-filtered
// enumeration (Enumerate with OptimizeEnumeration and MaxElements, Pull
// until EndOfSequence, Release when abandoned) and returns those opt
// selects, in the order the host sent them.
func List(ctx context.Context, c *wsman.Client, p Profile, opt ListOptions) ([]Listed, error) {
	return nil, errNotBuilt
}
