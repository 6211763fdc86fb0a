package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/wsman"
)

// errorFlags are the flags of `cimjob error`.
type errorFlags struct {
	conn      connFlags
	config    configFlags
	profile   string
	namespace string
	class     string
	method    job.Method
	jobID     string
	output    outputFormat
	skipJob   bool
	// profileSet: --profile was given, not defaulted.
	profileSet bool
}

func (a *app) newErrorCmd() *cobra.Command {
	var f errorFlags
	cmd := &cobra.Command{
		Use:   "error --host HOST --job INSTANCEID",
		Short: "Show why a job failed: the CIM_Error instances it reports",
		Long: `error reads the job, calls its error method (GetErrorEx, falling back to
GetError on hosts without it, for Hyper-V; GetError otherwise) and prints
every CIM_Error the job reports.

The password comes from $CIMJOB_PASSWORD, --password-file, the config file,
or a prompt on a terminal; never from the command line.

Every flag can also be set by a CIMJOB_* variable (--timeout: CIMJOB_TIMEOUT)
or in the config file (--config, else $XDG_CONFIG_HOME/cimjob/config.yaml):
flags win over variables, variables over the --group's settings, those over
the file's defaults. A --group must have one host here; use check for more.`,
		Example: `  CIMJOB_USER=admin CIMJOB_PASSWORD=... cimjob error --host hv01.corp.example --https --job 5A3C1E2B-...
  cimjob error --host hv01 --https --profile msps --job 8F0D... -o json
  cimjob error --host hv01 --https --job '\\HV01\root\virtualization\v2:Msvm_ConcreteJob.InstanceID="5A3C1E2B-..."'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.profileSet = cmd.Flags().Changed("profile")
			return a.runError(cmd.Context(), cmd, &f, job.GetErrors)
		},
	}
	f.register(cmd)
	return cmd
}

// register adds the flags of error (and wait) to cmd.
func (f *errorFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	f.conn.register(fs)
	f.config.register(fs)
	registerProfile(fs, &f.profile, &f.namespace, &f.class)
	fs.Var(&f.method, "method", "error method: auto, GetError or GetErrorEx")
	fs.StringVar(&f.jobID, "job", "", `InstanceID of the job, or its WMI object path ([\\server\]namespace:Class.InstanceID="..."), which also gives --namespace and --class`)
	registerOutput(fs, &f.output, "output format")
	fs.BoolVar(&f.skipJob, "skip-job", false, "do not read the job's own properties (state, type, times)")
}

// fetchErrors gets a job's errors: job.GetErrors for error; for wait, a
// job.Wait that ends with them.
type fetchErrors func(ctx context.Context, c *wsman.Client, ref job.Ref, opt job.Options) (*job.Result, error)

// runError asks one host about one job with fetch and prints the answer.
func (a *app) runError(ctx context.Context, cmd *cobra.Command, f *errorFlags, fetch fetchErrors) error {
	var hosts []string
	if err := a.applyConfig(cmd, &f.config, &f.conn, &hosts); err != nil {
		return err
	}
	switch {
	case len(hosts) > 1:
		return &usageError{fmt.Errorf("%s asks one host, and --group %s gives %d: use 'cimjob check --group %s' for many", cmd.Name(), f.config.group, len(hosts), f.config.group)}
	case len(hosts) == 1:
		f.conn.host = hosts[0]
	}
	if f.jobID == "" {
		return &usageError{errors.New("no job: give --job INSTANCEID")}
	}
	if err := checkValue("--job", f.jobID, "give the job's InstanceID"); err != nil {
		return err
	}
	path, err := job.ParsePath(f.jobID)
	if err != nil {
		return &usageError{fmt.Errorf("--job: %w", err)}
	}
	if err := a.applyPath(f, path); err != nil {
		return err
	}
	// Empty means the profile's own namespace and class.
	for _, fv := range [][2]string{{"--namespace", f.namespace}, {"--class", f.class}} {
		if fv[1] == "" {
			continue
		}
		if err := checkValue(fv[0], fv[1], "leave it out to use the profile's default"); err != nil {
			return err
		}
	}
	profile, err := job.LookupProfile(f.profile, f.namespace, f.class)
	if err != nil {
		return &usageError{err}
	}
	if err := f.conn.check(); err != nil {
		return err
	}
	c, endpoint, err := a.newClient(&f.conn)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, f.conn.timeout)
	defer cancel()

	ref := job.Ref{Profile: profile, InstanceID: path.InstanceID}
	res, err := fetch(ctx, c, ref, job.Options{Method: f.method, SkipJob: f.skipJob})
	var still *job.StillRunningError
	if errors.As(err, &still) {
		// The host answered; the wait ended first. Say so, with how far
		// the job got, rather than "no answer".
		if f.output == outputJSON {
			r := failureReport(endpoint, ref, err)
			r.Job.setProperties(still.Last)
			if werr := writeJSON(a.stdout, r); werr != nil {
				return &answerError{werr}
			}
		}
		return err
	}
	if err != nil {
		if failed := (&answerError{err}); exitCode(failed) != exitNoAnswer {
			// exitcode.go says the request could not even be sent (a
			// value it cannot carry): no answer was asked for, so there
			// is no failure to report.
			return failed
		}
		if ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %s: %w", f.conn.timeout, err)
		}
		var werr error
		if f.output == outputJSON {
			werr = writeJSON(a.stdout, failureReport(endpoint, ref, err))
		} else {
			werr = writeFaultText(a.stdout, err)
		}
		if werr != nil {
			return &answerError{werr}
		}
		return &answerError{err}
	}
	if f.output == outputJSON {
		err = writeJSON(a.stdout, newReport(endpoint, res))
	} else {
		err = writeText(a.stdout, endpoint, res)
	}
	if err != nil {
		return &answerError{err}
	}
	return res.Err()
}

// applyPath takes the namespace, class and profile from a --job object
// path. Flags that say otherwise are a usage error, since one of the two
// is a mistake. The path's server is checked against --host only loosely,
// with a warning: a host calls itself by its NetBIOS name (HV01) while
// --host is often its DNS name or an address; with no --host, the server
// is the host.
func (a *app) applyPath(f *errorFlags, p job.Path) error {
	if p.Class == "" {
		return nil
	}
	if f.class != "" && !strings.EqualFold(f.class, p.Class) {
		return &usageError{fmt.Errorf("--class %s conflicts with the class in --job (%s): drop --class", f.class, p.Class)}
	}
	ns := strings.ReplaceAll(f.namespace, `\`, "/")
	if ns != "" && p.Namespace != "" && !strings.EqualFold(ns, p.Namespace) {
		return &usageError{fmt.Errorf("--namespace %s conflicts with the namespace in --job (%s): drop --namespace", f.namespace, p.Namespace)}
	}
	if p.Namespace == "" {
		p.Namespace = ns
	}
	prof := job.ProfileFor(p.Namespace, p.Class)
	if prof.Name == job.NameCIM && p.Namespace == "" {
		return &usageError{fmt.Errorf("--job names class %s without a namespace: give the whole path (root\\...:%s.InstanceID=\"...\"), or --namespace", p.Class, p.Class)}
	}
	if f.profileSet && !strings.EqualFold(f.profile, prof.Name) && !(prof.Name == job.NameHyperV && strings.EqualFold(f.profile, "hyper-v")) {
		return &usageError{fmt.Errorf("--profile %s conflicts with --job, whose class %s is profile %s's: drop --profile", f.profile, p.Class, prof.Name)}
	}
	f.profile, f.namespace, f.class = prof.Name, p.Namespace, p.Class
	if p.Server == "" {
		return nil
	}
	if strings.TrimSpace(f.conn.host) == "" {
		f.conn.host = p.Server
		return nil
	}
	if !sameMachine(p.Server, f.conn.host) {
		fmt.Fprintf(a.stderr, "cimjob: warning: --job names server %s, but --host is %s: asking %s\n", p.Server, f.conn.host, f.conn.host)
	}
	return nil
}

// sameMachine reports whether a path's server and --host can name the
// same machine: equal, or equal in their first DNS label (HV01 and
// hv01.corp.example:5986).
func sameMachine(server, host string) bool {
	if u, err := url.Parse(host); err == nil && u.Host != "" {
		host = u.Hostname()
	} else if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	label := func(s string) string { l, _, _ := strings.Cut(s, "."); return l }
	return strings.EqualFold(server, host) || net.ParseIP(host) == nil && strings.EqualFold(label(server), label(host))
}
