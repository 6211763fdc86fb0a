package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/cimjob/cimjob/internal/buildinfo"
)

func (a *app) newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, build date and Go version of cimjob",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := io.WriteString(a.stdout, buildinfo.Get().Text("cimjob"))
			return err
		},
	}
}

// buildVersion is the version the User-Agent names.
func buildVersion() string { return buildinfo.Get().Version }
