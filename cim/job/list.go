package job

import (
	"context"
	"errors"
	"fmt"
	"strings"
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

// PolicyState is the terminal state a FailurePolicy's States may add, by
// its JobState name (any case): Killed or Terminated. Exception always
// counts and Completed is success, so no other name is one.
func PolicyState(name string) (uint64, bool) {
	switch strings.ToLower(name) {
	case "killed":
		return StateKilled, true
	case "terminated":
		return StateTerminated, true
	}
	return 0, false
}

// Failed reports whether the job counts as failed under the policy.
// A job with no JobState is not failed: nothing says it ended.
func (fp FailurePolicy) Failed(p *Properties) bool {
	if p == nil || p.JobState == nil {
		return false
	}
	s := p.JobState.Value
	switch {
	case s == StateException:
		return true
	case !Terminal(s):
		return false
	case p.ErrorCode != nil && *p.ErrorCode != 0:
		return true
	}
	for _, fs := range fp.States {
		if fs == s {
			return true
		}
	}
	return false
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

// List enumerates the profile's jobs on the host with one WQL-filtered
// enumeration (Enumerate with OptimizeEnumeration and MaxElements, Pull
// until EndOfSequence, Release when abandoned) and returns those opt
// selects, in the order the host sent them.
//
// The WHERE clause lets the host send only what opt selects; the same rule
// is applied again to every item, so a host that ignores part of the
// filter still gives the right answer.
func List(ctx context.Context, c *wsman.Client, p Profile, opt ListOptions) ([]Listed, error) {
	if p.Class == "" || p.Namespace == "" {
		return nil, errors.New("job: List needs a profile with a namespace and a class")
	}
	if err := p.checkNames(); err != nil {
		return nil, fmt.Errorf("job: %w", err)
	}
	batch := opt.BatchSize
	if batch <= 0 {
		batch = DefaultBatchSize
	}
	// The .../* URI takes the class from the query (docs/wire.md, "Enumeration"):
	// a filtered enumeration is only accepted there.
	uri := wsman.WMIResourceURI(p.Namespace, "*")
	insts, err := c.Enumerate(ctx, uri, wsman.EnumerateOptions{
		Filter:      Query(p, opt),
		Optimize:    true,
		MaxElements: batch,
	})
	if err != nil {
		return nil, fmt.Errorf("listing %s jobs: %w", p.Class, err)
	}
	var out []Listed
	for _, inst := range insts {
		// Each item names its own class: a subclass (Msvm_MigrationJob) is
		// addressed with its own URI.
		ip := p
		if inst.ClassName != "" {
			ip.Class = inst.ClassName
		}
		props := newProperties(ip, inst)
		if !opt.keep(props) {
			continue
		}
		id := str(inst, "InstanceID")
		if id == "" {
			// Without its key a job cannot be asked about; such an item
			// is not one of the class's instances as WMI sends them.
			continue
		}
		out = append(out, Listed{Ref: Ref{Profile: ip, InstanceID: id}, Properties: props})
	}
	return out, nil
}

// Query is the WQL List sends for opt: SELECT * FROM the profile's class,
// with a WHERE clause for opt.Which and opt.Since.
func Query(p Profile, opt ListOptions) string {
	var conds []string
	switch opt.Which {
	case Failed:
		c := fmt.Sprintf("JobState = %d OR (JobState >= %d AND JobState <= %d AND ErrorCode <> 0)",
			StateException, terminalMin, terminalMax)
		for _, s := range opt.Policy.States {
			if Terminal(s) {
				c += fmt.Sprintf(" OR JobState = %d", s)
			}
		}
		conds = append(conds, c)
	case Running:
		conds = append(conds, fmt.Sprintf("JobState < %d OR JobState > %d", terminalMin, terminalMax))
	case Done:
		conds = append(conds, fmt.Sprintf("JobState >= %d AND JobState <= %d", terminalMin, terminalMax))
	}
	if !opt.Since.IsZero() {
		t := dmtf(opt.Since)
		conds = append(conds, fmt.Sprintf("StartTime >= %q OR (StartTime IS NULL AND TimeSubmitted >= %q)", t, t))
	}
	q := "SELECT * FROM " + p.Class
	for i, c := range conds {
		if i == 0 {
			q += " WHERE "
		} else {
			q += " AND "
		}
		q += "(" + c + ")"
	}
	return q
}

// The terminal states (see Terminal) are the range Completed..Exception.
const (
	terminalMin = StateCompleted
	terminalMax = StateException
)

// dmtf writes t as a DMTF datetime in UTC, as WQL compares datetimes.
func dmtf(t time.Time) string {
	return t.UTC().Format("20060102150405.000000") + "+000"
}

// keep applies opt to one job, as the query asks the host to.
func (opt ListOptions) keep(p *Properties) bool {
	switch opt.Which {
	case Failed:
		if !opt.Policy.Failed(p) {
			return false
		}
	case Running:
		if p.JobState == nil || Terminal(p.JobState.Value) {
			return false
		}
	case Done:
		if p.JobState == nil || !Terminal(p.JobState.Value) {
			return false
		}
	}
	if !opt.Since.IsZero() {
		at := p.StartTime
		if at == nil {
			at = datetime(p.Instance, "TimeSubmitted")
		}
		// A job that cannot say when it started is not known to be recent.
		if at == nil || at.Interval || at.Time.Before(opt.Since) {
			return false
		}
	}
	return true
}
