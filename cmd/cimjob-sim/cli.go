package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/cimjob/cimjob/fixtures"
	"github.com/cimjob/cimjob/internal/buildinfo"
	"github.com/cimjob/cimjob/internal/manpage"
)

// exitCode reports err as cimjob-sim's one line on stderr and gives the
// exit code: 0 for success and for --help (the flag package has printed
// the usage), 1 otherwise.
func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "cimjob-sim:", err)
	return 1
}

// metaCommands are the commands about cimjob-sim rather than a run of it.
var metaCommands = map[string]bool{
	"version": true, "completion": true, "man": true,
	cobra.ShellCompRequestCmd: true, cobra.ShellCompNoDescRequestCmd: true,
}

// meta runs a command about cimjob-sim itself (version, shell completion,
// man pages) when args name one, and reports whether it did. The commands
// see the simulator's own flag set, so completion offers its flags and the
// scenario names.
func meta(fl *flag.FlagSet, args []string, stdout, stderr io.Writer) (bool, error) {
	fl.Usage = func() {
		fmt.Fprintf(fl.Output(), "Usage: cimjob-sim [flags]\n       cimjob-sim version | completion bash|zsh|fish|powershell\n\nFlags:\n")
		fl.PrintDefaults()
	}
	if len(args) == 0 || !metaCommands[args[0]] {
		return false, nil
	}
	root := &cobra.Command{
		Use:           "cimjob-sim",
		Short:         "Simulate a Windows Hyper-V host over WS-Management, for trying cimjob",
		Long:          "cimjob-sim serves a simulated Windows host whose jobs failed in known ways; run it without a command to serve.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE:          func(*cobra.Command, []string) error { return errors.New("run cimjob-sim without a command to serve") },
	}
	root.Flags().AddGoFlagSet(fl)
	_ = root.RegisterFlagCompletionFunc("scenario", func(c *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		fsys := fixtures.FS
		names, err := fixtures.Scenarios(fsys)
		if dir, _ := c.Flags().GetString("fixtures"); dir != "" {
			names, err = fixtures.Scenarios(os.DirFS(dir))
		}
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	})
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, build date and Go version of cimjob-sim",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := io.WriteString(stdout, buildinfo.Get().Text("cimjob-sim"))
			return err
		},
	})
	root.AddCommand(manpage.Command(root, os.Getenv))
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	return true, root.Execute()
}
