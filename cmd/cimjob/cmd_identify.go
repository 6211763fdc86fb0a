package main

import (
	"github.com/spf13/cobra"

	"github.com/cimjob/cimjob/fleet"
)

func (a *app) newIdentifyCmd() *cobra.Command {
	var f fleetFlags
	cmd := &cobra.Command{
		Use:   "identify --host HOST... | --hosts-file FILE",
		Short: "Check that hosts answer WS-Management and accept the credentials",
		Long: `identify asks each host who it is (WS-Man Identify: vendor, product and
protocol versions) over an authenticated connection, so that an answer
also shows that the credentials work: the check to run first.

Exit codes: 0 every host answered; 3 no host answered; 4 some hosts
answered and some did not.`,
		Example: `  cimjob identify --host hv01 --https
  cimjob identify --hosts-file hosts.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runFleet(cmd.Context(), cmd, cmdIdentify, &f, fleet.Identify())
		},
	}
	f.register(cmd, false)
	return cmd
}
