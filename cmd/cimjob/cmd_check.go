package main

import (
	"github.com/spf13/cobra"

	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/fleet"
)

// checkFlags are the flags of `cimjob check`.
type checkFlags struct {
	fleet  fleetFlags
	method job.Method
	failOn string
}

func (a *app) newCheckCmd() *cobra.Command {
	var f checkFlags
	cmd := &cobra.Command{
		Use:   "check --host HOST... | --hosts-file FILE",
		Short: "Find the failed jobs of one host or many, and why they failed",
		Long: `check lists the failed jobs on each host and calls the error method of
each (as 'cimjob error' does), printing every CIM_Error they report. A job
is failed when its state is Exception, or when it ended with an ErrorCode
other than 0; --fail-on adds Killed and Terminated. A job that ends and is
removed between the listing and the call is noted, not fatal.

Exit codes: 0 every host answered and no job failed; 1 every host answered
and a job failed; 3 no host answered; 4 some hosts answered and some did
not.`,
		Example: `  cimjob check --host hv01 --host hv02 --https
  cimjob check --hosts-file hosts.txt --parallel 50 --timeout 30s -o junit > report.xml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := f.fleet.lookupProfile()
			if err != nil {
				return err
			}
			policy, err := parseFailOn(f.failOn)
			if err != nil {
				return err
			}
			opt := job.ListOptions{Which: job.Failed, Policy: policy}
			return a.runFleet(cmd.Context(), cmd, cmdCheck, &f.fleet, fleet.Check(p, opt, job.Options{Method: f.method}))
		},
	}
	f.fleet.register(cmd, true)
	cmd.Flags().Var(&f.method, "method", "error method: auto, GetError or GetErrorEx")
	registerFailOn(cmd, &f.failOn)
	return cmd
}
