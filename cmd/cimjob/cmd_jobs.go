package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/fleet"
)

// jobsFlags are the flags of `cimjob jobs`.
type jobsFlags struct {
	fleet  fleetFlags
	state  string
	since  time.Duration
	failOn string
}

func (a *app) newJobsCmd() *cobra.Command {
	var f jobsFlags
	cmd := &cobra.Command{
		Use:   "jobs --host HOST... | --hosts-file FILE",
		Short: "List the jobs of one host or many",
		Long: `jobs lists the jobs of the profile's class on each host (one WS-Enumeration
each, filtered on the host), many hosts at once, printing each host's jobs
as it answers.

Exit codes: 0 every host answered and no listed job failed; 1 every host
answered and a listed job failed; 3 no host answered; 4 some hosts answered
and some did not.`,
		Example: `  cimjob jobs --host hv01 --https --state failed --since 1h
  cimjob jobs --hosts-file hosts.txt --parallel 32 -o ndjson`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := f.fleet.lookupProfile()
			if err != nil {
				return err
			}
			opt := job.ListOptions{}
			if opt.Which, err = parseWhich(f.state); err != nil {
				return err
			}
			if opt.Policy, err = parseFailOn(f.failOn); err != nil {
				return err
			}
			if f.since < 0 {
				return &usageError{fmt.Errorf("--since must not be negative, not %s", f.since)}
			}
			if f.since > 0 {
				opt.Since = time.Now().Add(-f.since)
			}
			return a.runFleet(cmd.Context(), cmd, cmdJobs, &f.fleet, fleet.Jobs(p, opt))
		},
	}
	f.fleet.register(cmd, true)
	fs := cmd.Flags()
	fs.StringVar(&f.state, "state", "all", "which jobs: failed, running, done or all")
	fs.DurationVar(&f.since, "since", 0, "only jobs started within this long before now (e.g. 1h; 0: all)")
	registerFailOn(cmd, &f.failOn)
	return cmd
}

// parseWhich reads --state.
func parseWhich(s string) (job.Which, error) {
	switch strings.ToLower(s) {
	case "all", "":
		return job.All, nil
	case "failed":
		return job.Failed, nil
	case "running":
		return job.Running, nil
	case "done":
		return job.Done, nil
	}
	return 0, &usageError{fmt.Errorf("unknown --state %q (want failed, running, done or all)", s)}
}

func registerFailOn(cmd *cobra.Command, v *string) {
	cmd.Flags().StringVar(v, "fail-on", "", "also count jobs that ended in these states as failed: killed, terminated (comma-separated)")
}

// parseFailOn reads --fail-on.
func parseFailOn(s string) (job.FailurePolicy, error) {
	var fp job.FailurePolicy
	if strings.TrimSpace(s) == "" {
		return fp, nil
	}
	for _, name := range strings.Split(s, ",") {
		st, ok := job.PolicyState(strings.TrimSpace(name))
		if !ok {
			return fp, &usageError{fmt.Errorf("unknown --fail-on state %q (want killed, terminated or both, comma-separated)", name)}
		}
		fp.States = append(fp.States, st)
	}
	return fp, nil
}
