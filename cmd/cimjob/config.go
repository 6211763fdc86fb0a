package main

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// configFlags are --config and --group, which every command that talks to
// hosts registers.
type configFlags struct {
	path  string
	group string
}

// register adds --config and --group: branch f8-config.
func (f *configFlags) register(fs *pflag.FlagSet) {}

// applyConfig settles the connection settings and hosts of a command
// before it runs, with the precedence flags > CIMJOB_* environment >
// config file (--config, else $XDG_CONFIG_HOME/cimjob/config.yaml): it
// fills every field of conn that no flag set from the environment or the
// file, and with --group appends the group's hosts to hosts. A config
// file that holds a password must be readable by its owner alone.
// Branch f8-config.
func (a *app) applyConfig(cmd *cobra.Command, cf *configFlags, conn *connFlags, hosts *[]string) error {
	return nil
}
