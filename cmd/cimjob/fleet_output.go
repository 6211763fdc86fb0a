package main

import (
	"fmt"
	"io"

	"github.com/cimjob/cimjob/fleet"
)

// fleetCommand names the fleet command whose results a writer writes: a
// writer shows listed jobs for jobs, failed jobs and their errors for
// check, identities for identify.
type fleetCommand string

const (
	cmdJobs     fleetCommand = "jobs"
	cmdCheck    fleetCommand = "check"
	cmdIdentify fleetCommand = "identify"
)

// fleetWriter writes a fleet command's results as hosts finish: Host once
// per host in the order hosts finish (ndjson writes each at once; the
// others may keep them for Done), then Done once, also after a run cut
// short by Ctrl-C or the run deadline, with what finished.
type fleetWriter interface {
	Host(r *fleet.HostResult) error
	Done(s fleet.Summary) error
}

// fleetFormats are the -o values of the fleet commands.
func fleetFormats() []string { return []string{"text", "json", "ndjson", "junit", "prometheus"} }

// fleetStyle is how the text writer may dress its output.
type fleetStyle struct {
	// color: stdout is a terminal and NO_COLOR is not set.
	color bool
}

// newFleetWriter returns the writer of -o format for the command.
func newFleetWriter(format string, cmd fleetCommand, w io.Writer, style fleetStyle) (fleetWriter, error) {
	switch format {
	case "", "text":
		return newFleetText(cmd, w, style), nil
	case "json":
		return newFleetJSON(cmd, w), nil
	case "ndjson":
		return newFleetNDJSON(cmd, w), nil
	case "junit":
		return newFleetJUnit(cmd, w), nil
	case "prometheus":
		return newFleetPrometheus(cmd, w), nil
	}
	return nil, &usageError{fmt.Errorf("unknown -o %q: want one of %v", format, fleetFormats())}
}
