package main

import (
	"github.com/prometheus/common/promslog"
	"github.com/spf13/cobra"

	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/fixtures"
)

// flagValues lists, for each flag that takes one of a fixed set of values,
// what shell completion offers. Each list is built from the constants the
// flag's parser accepts, so the two cannot drift apart.
func flagValues() map[string]func() []string {
	return map[string]func() []string{
		"auth":    func() []string { return []string{authNTLM, authKerberos, authBasic, authCertificate} },
		"profile": job.ProfileNames,
		"method": func() []string {
			return []string{job.MethodAuto.String(), job.MethodGetError.String(), job.MethodGetErrorEx.String()}
		},
		"output": func() []string {
			var names []string
			for _, o := range outputFormats {
				names = append(names, string(o))
			}
			return names
		},
		"log.level":  func() []string { return promslog.LevelFlagOptions },
		"log.format": func() []string { return promslog.FormatFlagOptions },
		"scenario": func() []string {
			names, _ := fixtures.Scenarios(fixtures.FS)
			return names
		},
	}
}

// registerCompletions gives every command's fixed-value flags their value
// completions; other flags complete as the shell would (file names).
func registerCompletions(root *cobra.Command) {
	values := flagValues()
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		for name, list := range values {
			if c.Flags().Lookup(name) == nil {
				continue
			}
			list := list
			if _, fleetOutput := c.Flags().Lookup(name).Value.(*fleetFormat); fleetOutput {
				list = fleetFormats
			}
			_ = c.RegisterFlagCompletionFunc(name, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
				return list(), cobra.ShellCompDirectiveNoFileComp
			})
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
