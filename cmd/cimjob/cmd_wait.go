package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/wsman"
)

// defaultWaitTimeout is how long wait waits by default: jobs such as an
// export or a migration run for many minutes.
const defaultWaitTimeout = time.Hour

func (a *app) newWaitCmd() *cobra.Command {
	var f errorFlags
	cmd := &cobra.Command{
		Use:   "wait --host HOST --job INSTANCEID",
		Short: "Wait for a job to end, then show its errors as error does",
		Long: `wait polls the job (backing off from a poll every half second to one every
15 seconds) until it reaches a terminal state, then prints it as 'cimjob
error' does, with the same exit codes. On a terminal, a progress line on
stderr shows the job's state and percentage. When --timeout (or Ctrl-C)
ends the wait first, it says how far the job got and exits 5.`,
		Example: `  cimjob wait --host hv01 --https --job 5A3C1E2B-... --timeout 2h`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.profileSet = cmd.Flags().Changed("profile")
			return a.runError(cmd.Context(), cmd, &f, a.waitFetch())
		},
	}
	f.register(cmd)
	t := cmd.Flags().Lookup("timeout")
	t.Usage = "give up waiting after this long"
	_ = t.Value.Set(defaultWaitTimeout.String())
	t.DefValue = t.Value.String()
	return cmd
}

// waitFetch is job.Wait, with a progress line on a terminal's stderr.
func (a *app) waitFetch() fetchErrors {
	return func(ctx context.Context, c *wsman.Client, ref job.Ref, opt job.Options) (*job.Result, error) {
		wo := job.WaitOptions{Errors: opt}
		tty := a.isTerminal()
		if tty {
			wo.Progress = func(p *job.Properties) {
				line := "job " + ref.InstanceID + ": " + enumText(p.JobState)
				if p.PercentComplete != nil {
					line += fmt.Sprintf(", %d%%", *p.PercentComplete)
				}
				fmt.Fprintf(a.stderr, "\r\x1b[K%s", oneLine(line))
			}
		}
		res, err := job.Wait(ctx, c, ref, wo)
		if tty {
			fmt.Fprint(a.stderr, "\r\x1b[K")
		}
		return res, err
	}
}
