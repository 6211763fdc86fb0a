package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/simulator"
)

// tourStep is one step of the demo: a job of the default scenario and the
// exit code `cimjob error` must give for it.
type tourStep struct {
	profile    string
	instanceID string
	extra      []string
	wantExit   int
}

// defaultTour walks the default scenario: failures with one and several
// errors, a running job, a non-zero return value, the MSPS embedded-object
// shape, and a job that no longer exists.
var defaultTour = []tourStep{
	{job.NameHyperV, "5F1E2D3C-4B5A-4000-8000-000000000001", nil, exitJobFailed},
	{job.NameHyperV, "5F1E2D3C-4B5A-4000-8000-000000000002", nil, exitJobFailed},
	{job.NameHyperV, "5F1E2D3C-4B5A-4000-8000-000000000003", nil, exitOK},
	{job.NameHyperV, "5F1E2D3C-4B5A-4000-8000-000000000005", nil, exitJobFailed},
	{job.NameMSPS, "9D8C7B6A-5E4F-4000-8000-000000000002", nil, exitJobFailed},
	{job.NameHyperV, "5F1E2D3C-4B5A-4000-8000-0000000000FF", nil, exitNoAnswer},
	{job.NameHyperV, "5F1E2D3C-4B5A-4000-8000-000000000001", []string{"-o", "json"}, exitJobFailed},
}

// demoFlags are the flags of `cimjob demo`.
type demoFlags struct {
	scenario string       // a file in fixtures/scenarios
	all      bool         // every job of the scenario, not just the tour
	output   outputFormat // passed on to each step as -o
}

func (a *app) newDemoCmd() *cobra.Command {
	var f demoFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run cimjob against the built-in simulator of a Hyper-V host",
		Long: `demo starts the built-in WS-Man simulator in this process, on a loopback
port, and runs the real 'cimjob error' commands against its jobs, printing
each command line and what it prints. No Windows host is needed.

On the default scenario it then runs 'cimjob check' across a small
simulated fleet, and 'cimjob exporter' in this process, scraping three
simulated hosts through it (healthy, with failed jobs, refusing the
password) and showing the few lines of each answer that matter. It exits 0
when every step gave the exit code or answer it should; with --all or
another scenario it shows each step's exit code without judging it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runDemo(cmd.Context(), &f) },
	}
	cmd.Flags().StringVar(&f.scenario, "scenario", "default.json", "scenario of the simulated host (a file in fixtures/scenarios)")
	cmd.Flags().BoolVar(&f.all, "all", false, "ask every job of the scenario, not just the tour")
	registerOutput(cmd.Flags(), &f.output, "output format of the steps")
	return cmd
}

func (a *app) runDemo(ctx context.Context, f *demoFlags) error {
	sim, err := simulator.New(simulator.Options{Scenario: f.scenario})
	if err != nil {
		return &usageError{err}
	}
	defer sim.Close()
	endpoint, err := sim.Start("127.0.0.1:0")
	if err != nil {
		return &answerError{fmt.Errorf("starting the simulator: %w", err)}
	}
	sc := sim.Scenario()
	user, password, ok := demoUser(sc.Users)
	if !ok {
		return &usageError{fmt.Errorf("scenario %s has no user to log in as", f.scenario)}
	}
	host := hostOf(endpoint)

	steps := defaultTour
	if f.all || f.scenario != "default.json" {
		steps = nil
		for _, j := range sim.Jobs() {
			steps = append(steps, tourStep{profile: j.Profile, instanceID: j.InstanceID, wantExit: -1})
		}
	}
	titles := map[string]string{}
	for _, j := range sim.Jobs() {
		titles[strings.ToUpper(j.InstanceID)] = j.Title
	}

	fmt.Fprintf(a.stdout, "cimjob demo: a simulated Windows host (%s) answers WS-Management at %s.\n", sc.Host, endpoint)
	fmt.Fprintf(a.stdout, "Each step runs the real 'cimjob error' against it as user %q (password from the scenario, passed as %s),\n", user, envPassword)
	fmt.Fprintln(a.stdout, "with cimjob's default NTLM authentication sealing every message, as an untouched Windows host requires.")

	// The steps see the demo credentials as if they were in the environment,
	// and nothing else of cimjob's.
	sub := *a
	sub.lookupEnv = func(k string) (string, bool) {
		switch k {
		case envUser:
			return user, true
		case envPassword:
			return password, true
		}
		// The user's CIMJOB_* settings and config file are for real
		// hosts; the demo's own simulator needs the defaults.
		if strings.HasPrefix(k, envPrefix) || k == "XDG_CONFIG_HOME" || k == "HOME" {
			return "", false
		}
		return a.lookupEnv(k)
	}
	var wrong []string
	for _, st := range steps {
		args := []string{"error", "--host", host, "--job", st.instanceID}
		if st.profile != "" && st.profile != job.NameHyperV {
			args = append(args, "--profile", st.profile)
		}
		args = append(args, st.extra...)
		if f.output == outputJSON && !hasOutputFlag(st.extra) {
			args = append(args, "-o", string(outputJSON))
		}
		title := titles[strings.ToUpper(st.instanceID)]
		if title == "" {
			title = "a job the host does not have (it ended and was removed)"
		}
		fmt.Fprintf(a.stdout, "\n# %s\n$ cimjob %s\n", title, strings.Join(args, " "))
		code := sub.run(ctx, args)
		fmt.Fprintf(a.stdout, "[exit %d: %s]\n", code, exitMeaning(code))
		if st.wantExit >= 0 && code != st.wantExit {
			wrong = append(wrong, fmt.Sprintf("job %s exited %d, want %d", st.instanceID, code, st.wantExit))
		}
		if ctx.Err() != nil {
			return &answerError{ctx.Err()}
		}
	}
	if !f.all && f.scenario == "default.json" {
		code, err := a.demoFleet(ctx, &sub)
		if err != nil {
			return err
		}
		if code != exitSomeNoAnswer {
			wrong = append(wrong, fmt.Sprintf("check across the fleet exited %d, want %d", code, exitSomeNoAnswer))
		}
		w, err := a.demoExporter(ctx, &sub, user)
		wrong = append(wrong, w...)
		if err != nil {
			return err
		}
	}
	if len(wrong) > 0 {
		return &answerError{errors.New("demo: " + strings.Join(wrong, "; "))}
	}
	fmt.Fprintf(a.stdout, "\nTo try it by hand: go run ./cmd/cimjob-sim, then point 'cimjob error --host' at the address it prints;\n")
	fmt.Fprintf(a.stdout, "go run ./cmd/cimjob-sim --hosts 200 simulates a fleet for 'cimjob check --hosts-file' or 'cimjob exporter' (docs/exporter.md).\n")
	return nil
}

// Demo fleet: small enough to print, with one host that drops every
// connection.
const (
	demoFleetHosts = 5
	demoFleetJobs  = 20
)

// demoFleet starts a small simulated fleet and runs 'cimjob check'
// across it with sub (which has the demo credentials), returning its exit
// code.
func (a *app) demoFleet(ctx context.Context, sub *app) (int, error) {
	fl, err := simulator.NewFleet(simulator.FleetOptions{Hosts: demoFleetHosts, Jobs: demoFleetJobs, Drop: 1.0 / demoFleetHosts})
	if err != nil {
		return 0, &answerError{fmt.Errorf("starting the simulated fleet: %w", err)}
	}
	defer fl.Close()
	args := []string{"check"}
	for _, h := range fl.Hosts() {
		args = append(args, "--host", hostOf(h.URL))
	}
	fmt.Fprintf(a.stdout, "\n# A fleet: %d simulated hosts with generated jobs in every state; one drops every connection\n$ cimjob %s\n", demoFleetHosts, strings.Join(args, " "))
	code := sub.run(ctx, args)
	fmt.Fprintf(a.stdout, "[exit %d: %s]\n", code, exitMeaning(code))
	if ctx.Err() != nil {
		return code, &answerError{ctx.Err()}
	}
	return code, nil
}

func hasOutputFlag(args []string) bool {
	for _, a := range args {
		if a == "-o" || a == "--output" || strings.HasPrefix(a, "--output=") {
			return true
		}
	}
	return false
}

// demoUser picks "demo" if the scenario has it, else the first user by name.
func demoUser(users map[string]string) (string, string, bool) {
	if p, ok := users["demo"]; ok {
		return "demo", p, true
	}
	names := make([]string, 0, len(users))
	for n := range users {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "", "", false
	}
	return names[0], users[names[0]], true
}

func exitMeaning(code int) string {
	switch code {
	case exitOK:
		return "no error reported"
	case exitJobFailed:
		return "the job reported errors or a non-success return value"
	case exitUsage:
		return "usage"
	case exitNoAnswer:
		return "no answer (connection, TLS, authentication, fault, bad response)"
	case exitSomeNoAnswer:
		return "some hosts answered and some did not"
	}
	return "unknown"
}
