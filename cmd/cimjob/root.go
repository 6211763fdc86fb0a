package main

import (
	"github.com/spf13/cobra"

	"github.com/cimjob/cimjob/internal/manpage"
)

func (a *app) newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "cimjob",
		Short: "Find out why a Windows management (CIM) job failed",
		Long: `cimjob asks a Windows host over WS-Management (WinRM) why a CIM job failed:
it calls GetErrorEx or GetError on the job and prints each CIM_Error it
returns, with every enumerated value shown as name and number.

It also lists the jobs of many hosts at once (jobs), finds the failed ones
and their errors (check), waits for a job to end (wait), checks that hosts
answer and accept the credentials (identify), and serves the jobs of many
hosts to Prometheus (exporter).

Exit codes: 0 no error reported; 1 the job reported errors or a non-success
return value (jobs, check: a job failed); 2 usage; 3 no answer (connection,
TLS, authentication, fault, bad response; across hosts: no host answered);
4 across hosts, some answered and some did not; 5 wait ended (--timeout,
Ctrl-C) while the job was still running.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(a.newErrorCmd(), a.newJobsCmd(), a.newCheckCmd(), a.newWaitCmd(), a.newIdentifyCmd(), a.newDemoCmd(), a.newExporterCmd(), a.newVersionCmd())
	root.AddCommand(manpage.Command(root, a.env))
	registerCompletions(root)
	return root
}
