package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cimjob/cimjob/simulator"
)

// fleetFlags are the flags of generated jobs (--jobs, --seed, --profiles,
// for one host or many) and of a fleet (--hosts and the rest).
type fleetFlags struct {
	hosts        int
	jobs         int
	seed         uint64
	profiles     string
	perAddress   bool
	latency      time.Duration
	jitter       time.Duration
	hang, drop   float64
	authFail     float64
	flaky        float64
	failRate     float64
	hostsFileOut string
}

func addFleetFlags(fl *flag.FlagSet) *fleetFlags {
	ff := &fleetFlags{}
	fl.IntVar(&ff.jobs, "jobs", 0, "generate this many jobs (every profile, every JobState) instead of the scenario's")
	fl.Uint64Var(&ff.seed, "seed", 0, "seed of the generated jobs and of which fleet hosts misbehave (0: the scenario's)")
	fl.StringVar(&ff.profiles, "profiles", "", "comma-separated profiles of generated jobs: hyperv, msps, cim (default all)")
	fl.IntVar(&ff.hosts, "hosts", 0, "simulate this many hosts (default scenario fleet.json), each on its own port from --listen's (0: any free ports)")
	fl.BoolVar(&ff.perAddress, "per-address", false, "with --hosts: host i listens on loopback address 127.0.0.2+i at --listen's port instead")
	fl.DurationVar(&ff.latency, "latency", 0, "with --hosts: add this delay to every request")
	fl.DurationVar(&ff.jitter, "jitter", 0, "with --hosts: add up to this much more delay, at random")
	fl.Float64Var(&ff.hang, "hang", 0, "with --hosts: fraction of hosts that never answer")
	fl.Float64Var(&ff.drop, "drop", 0, "with --hosts: fraction of hosts that close the connection without a reply")
	fl.Float64Var(&ff.authFail, "auth-fail", 0, "with --hosts: fraction of hosts that refuse the scenario's passwords")
	fl.Float64Var(&ff.flaky, "flaky", 0, "with --hosts: fraction of hosts that answer --fail-rate of their requests with HTTP 503")
	fl.Float64Var(&ff.failRate, "fail-rate", 0.5, "with --flaky: the fraction of requests that fail")
	fl.StringVar(&ff.hostsFileOut, "hosts-file-out", "", "with --hosts: a new file to write the hosts' URLs to, one per line, removed at exit; it must not exist (default: hosts.txt in a new private temporary directory)")
	return ff
}

func (ff *fleetFlags) profileList() []string {
	if ff.profiles == "" {
		return nil
	}
	return strings.Split(ff.profiles, ",")
}

// apply sets the generated-jobs options of a single host.
func (ff *fleetFlags) apply(opt *simulator.Options) {
	opt.Jobs, opt.Seed, opt.Profiles = ff.jobs, ff.seed, ff.profileList()
}

// serveFleet starts the fleet, writes the hosts file, prints how to reach
// it and serves until ctx ends. ready, if not nil, receives the hosts
// file's path once the banner is out.
func serveFleet(ctx context.Context, ff *fleetFlags, listen, scenario string, opt simulator.Options, useTLS bool, out io.Writer, ready chan<- string) error {
	if useTLS {
		return fmt.Errorf("--hosts serves HTTP only; --tls is for one host")
	}
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	f, err := simulator.NewFleet(simulator.FleetOptions{
		Hosts: ff.hosts, FS: opt.FS, Scenario: scenario, Jobs: ff.jobs, Seed: ff.seed, Profiles: ff.profileList(),
		Listen: listen, PerAddress: ff.perAddress, Latency: ff.latency, Jitter: ff.jitter,
		Hang: ff.hang, Drop: ff.drop, AuthFail: ff.authFail, Flaky: ff.flaky, FailRate: ff.failRate,
		Logf: opt.Logf,
	})
	if err != nil {
		return err
	}
	defer f.Close()
	var b strings.Builder
	behaviours := map[string]int{}
	for _, h := range f.Hosts() {
		b.WriteString(h.URL + "\n")
		behaviours[h.Behaviour]++
	}
	path, remove, err := writeNew(ff.hostsFileOut, "hosts.txt", "the hosts file", "--hosts-file-out", []byte(b.String()))
	if err != nil {
		return err
	}
	defer remove()
	hosts := f.Hosts()
	sc := hosts[0].Server.Scenario()
	fmt.Fprintf(out, "cimjob-sim: simulating %d hosts (scenario %s, %d jobs each)\n", len(hosts), scenario, len(hosts[0].Server.GeneratedJobs()))
	fmt.Fprintf(out, "Hosts: %s (one URL per line)\n", path)
	fmt.Fprintf(out, "First: %s (%s)\n", hosts[0].URL, hosts[0].Name)
	for _, u := range sortedUsers(sc.Users) {
		fmt.Fprintf(out, "User:  %s (its password is in scenarios/%s; auth-fail hosts refuse it)\n", u, scenario)
	}
	fmt.Fprintf(out, "Behaviour:")
	for _, k := range []string{simulator.BehaviourNormal, simulator.BehaviourHang, simulator.BehaviourDrop, simulator.BehaviourAuthFail, simulator.BehaviourFlaky} {
		if behaviours[k] > 0 {
			fmt.Fprintf(out, " %s %d", k, behaviours[k])
		}
	}
	fmt.Fprintf(out, "; latency %v + up to %v\n", ff.latency, ff.jitter)
	fmt.Fprintf(out, "Stop with Ctrl-C.\n")
	if ready != nil {
		ready <- path
	}
	<-ctx.Done()
	fmt.Fprintln(out, "cimjob-sim: shutting down")
	return f.Close()
}
