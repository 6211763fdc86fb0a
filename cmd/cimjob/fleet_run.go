package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/fleet"
)

// fleetFlags are the flags jobs, check and identify share: the
// connection flags of error (--host repeated), the hosts, how many at
// once and for how long, and -o.
type fleetFlags struct {
	conn      connFlags
	config    configFlags
	hosts     []string
	hostsFile string
	parallel  int
	deadline  time.Duration
	output    fleetFormat
	// profile, namespace and class: jobs and check only.
	profile, namespace, class string
}

// hostLine is a host as given, and where: "file:line" for a
// --hosts-file's, "" for --host's.
type hostLine struct{ name, where string }

// maxHostsFileBytes bounds a --hosts-file: a million hosts' lines fit.
const maxHostsFileBytes = 64 << 20

// maxHosts bounds the distinct hosts of one hosts file: far more than one
// run should ask, small enough that their configurations fit in memory.
const maxHosts = 100000

// register adds the fleet flags to cmd. The connection flags are error's
// but for --host, which here may be repeated.
func (f *fleetFlags) register(cmd *cobra.Command, withProfile bool) {
	fs := cmd.Flags()
	conn := pflag.NewFlagSet("conn", pflag.ContinueOnError)
	f.conn.register(conn)
	conn.VisitAll(func(fl *pflag.Flag) {
		if fl.Name != "host" {
			fs.AddFlag(fl)
		}
	})
	fs.Lookup("timeout").Usage = "give up on a host after this long (each host on its own; see --deadline)"
	f.config.register(fs)
	fs.StringArrayVar(&f.hosts, "host", nil, "host name or address, host:port, or http(s)://host[:port]/path URL; repeat for more hosts")
	fs.StringVar(&f.hostsFile, "hosts-file", "", "file of hosts, one a line as --host takes them ('#' comments, blank lines skipped; '-' reads stdin)")
	fs.IntVar(&f.parallel, "parallel", fleet.DefaultParallel, "how many hosts to ask at once")
	fs.DurationVar(&f.deadline, "deadline", 0, "give up on the whole run after this long, printing what finished (0: no limit)")
	f.output = "text"
	fs.VarP(&f.output, "output", "o", "output format: "+strings.Join(fleetFormats(), ", "))
	if withProfile {
		registerProfile(fs, &f.profile, &f.namespace, &f.class)
	}
}

// registerProfile adds --profile, --namespace and --class.
func registerProfile(fs *pflag.FlagSet, profile, namespace, class *string) {
	fs.StringVar(profile, "profile", "hyperv", "job class family: hyperv (Msvm_ConcreteJob), msps (Msps_ProvisioningJob), cim (any CIM_ConcreteJob; needs --namespace and --class)")
	fs.StringVar(namespace, "namespace", "", "WMI namespace of the job class (default: the profile's)")
	fs.StringVar(class, "class", "", "job class (default: the profile's)")
}

// lookupProfile is the profile the flags name.
func (f *fleetFlags) lookupProfile() (job.Profile, error) {
	for _, fv := range [][2]string{{"--namespace", f.namespace}, {"--class", f.class}} {
		if fv[1] == "" {
			continue
		}
		if err := checkValue(fv[0], fv[1], "leave it out to use the profile's default"); err != nil {
			return job.Profile{}, err
		}
	}
	p, err := job.LookupProfile(f.profile, f.namespace, f.class)
	if err != nil {
		return job.Profile{}, &usageError{err}
	}
	return p, nil
}

// targets settles the configuration and turns the hosts (--host, then
// --hosts-file, then the config's group) into targets, each with the one
// client Config the flags describe and its own URL. A host named twice
// (by the same URL) is asked once.
func (a *app) targets(cmd *cobra.Command, f *fleetFlags) ([]fleet.Target, error) {
	hosts := append([]string(nil), f.hosts...)
	if err := a.applyConfig(cmd, &f.config, &f.conn, &hosts); err != nil {
		return nil, err
	}
	if len(hosts) == 0 && strings.TrimSpace(f.conn.host) != "" {
		hosts = append(hosts, f.conn.host) // from the environment or config
	}
	if err := f.conn.check(); err != nil {
		return nil, err
	}
	if f.parallel < 1 {
		return nil, &usageError{fmt.Errorf("--parallel must be at least 1, not %d", f.parallel)}
	}
	if f.deadline < 0 {
		return nil, &usageError{fmt.Errorf("--deadline must not be negative, not %s", f.deadline)}
	}
	var all []hostLine
	for _, h := range hosts {
		all = append(all, hostLine{h, ""})
	}
	if f.hostsFile != "" {
		lines, err := a.readHostsFile(f.hostsFile)
		if err != nil {
			return nil, err
		}
		all = append(all, lines...)
	}
	if len(all) == 0 {
		return nil, &usageError{errors.New("no host: give --host (repeated for more), --hosts-file or --group")}
	}
	https := f.conn.https
	for _, h := range all {
		https = https || strings.HasPrefix(strings.ToLower(strings.TrimSpace(h.name)), "https://")
	}
	base, err := a.clientConfig(&f.conn, https)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	targets := make([]fleet.Target, 0, len(all))
	for _, h := range all {
		cfg, err := hostConfig(&f.conn, base, strings.TrimSpace(h.name))
		if err != nil {
			if h.where != "" {
				return nil, &usageError{fmt.Errorf("%s: %w", h.where, err)}
			}
			return nil, err
		}
		if seen[cfg.URL] {
			continue
		}
		seen[cfg.URL] = true
		targets = append(targets, fleet.Target{Name: strings.TrimSpace(h.name), Config: cfg})
	}
	return targets, nil
}

// readHostsFile reads a --hosts-file: one host a line as --host takes
// it, '#' to the end of a line a comment ('#' is in no host or URL
// cimjob accepts), blank lines skipped. Each host comes with its
// "file:line", which a bad one's error starts with.
func (a *app) readHostsFile(name string) ([]hostLine, error) {
	var data []byte
	var err error
	label := name
	// Read through the bound, not whole and then measured: the name may
	// be /dev/zero, a FIFO or a <(...) that never ends.
	if name == "-" {
		label = "stdin"
		data, err = io.ReadAll(io.LimitReader(a.stdin, maxHostsFileBytes+1))
	} else {
		var fh *os.File
		if fh, err = os.Open(name); err == nil {
			data, err = io.ReadAll(io.LimitReader(fh, maxHostsFileBytes+1))
			fh.Close()
		}
	}
	if err != nil {
		return nil, &usageError{fmt.Errorf("--hosts-file: %w", err)}
	}
	if len(data) > maxHostsFileBytes {
		return nil, &usageError{fmt.Errorf("--hosts-file %s is larger than %d bytes: split it", label, maxHostsFileBytes)}
	}
	var out []hostLine
	// A line listed twice is asked once; dropping repeats here keeps a
	// file of one line repeated millions of times from costing a client
	// configuration each.
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxHostsFileBytes)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.TrimSpace(line)
		if line == "" || seen[line] {
			continue
		}
		if len(seen) == maxHosts {
			return nil, &usageError{fmt.Errorf("--hosts-file %s names more than %d hosts: split it", label, maxHosts)}
		}
		seen[line] = true
		out = append(out, hostLine{line, fmt.Sprintf("%s:%d", label, n)})
	}
	if err := sc.Err(); err != nil {
		return nil, &usageError{fmt.Errorf("--hosts-file %s: %w", label, err)}
	}
	if len(out) == 0 {
		return nil, &usageError{fmt.Errorf("--hosts-file %s names no host", label)}
	}
	return out, nil
}

// runFleet runs probe on the targets and writes each host's result with
// the -o writer as it finishes; a progress line goes to stderr on a
// terminal. Ctrl-C or --deadline end the run with what finished written.
func (a *app) runFleet(ctx context.Context, cmd *cobra.Command, what fleetCommand, f *fleetFlags, probe fleet.Probe) error {
	targets, err := a.targets(cmd, f)
	if err != nil {
		return err
	}
	w, err := newFleetWriter(string(f.output), what, a.stdout, fleetStyle{color: a.color()})
	if err != nil {
		return err
	}
	if f.deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.deadline)
		defer cancel()
	}
	prog := &fleetProgress{w: a.stderr, on: a.isTerminal(), total: len(targets)}
	var werr error
	s := fleet.Run(ctx, targets, fleet.Options{Parallel: f.parallel, HostTimeout: f.conn.timeout}, probe, func(r *fleet.HostResult) {
		prog.host(r)
		if werr == nil {
			werr = w.Host(r)
		}
	})
	prog.clear()
	if err := w.Done(s); werr == nil {
		werr = err
	}
	if werr != nil {
		return &answerError{fmt.Errorf("writing the results: %w", werr)}
	}
	why := ""
	if s.Cancelled {
		why = "interrupted"
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			why = fmt.Sprintf("--deadline %s passed", f.deadline)
		}
	}
	return fleetOutcome(s, why)
}

// color reports whether output may be coloured: on a terminal, unless
// NO_COLOR is set (https://no-color.org: to anything, even empty).
func (a *app) color() bool {
	_, noColor := a.lookupEnv("NO_COLOR")
	return !noColor && a.isTerminal()
}

// fleetProgress is the one line on a terminal's stderr that says how far
// a run is; off, it writes nothing.
type fleetProgress struct {
	w                        io.Writer
	on                       bool
	total, done, unreachable int
}

func (p *fleetProgress) host(r *fleet.HostResult) {
	p.done++
	if r.Status == fleet.Unreachable {
		p.unreachable++
	}
	if p.on {
		fmt.Fprintf(p.w, "\r\x1b[K[%d/%d] hosts done, %d unreachable", p.done, p.total, p.unreachable)
	}
}

func (p *fleetProgress) clear() {
	if p.on && p.done > 0 {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

// fleetFormat is the -o flag of the fleet commands, checked when parsed
// as error's is.
type fleetFormat string

func (o *fleetFormat) String() string { return string(*o) }
func (o *fleetFormat) Type() string   { return "format" }

func (o *fleetFormat) Set(s string) error {
	for _, f := range fleetFormats() {
		if s == f {
			*o = fleetFormat(s)
			return nil
		}
	}
	return fmt.Errorf("unknown output format %q (want one of %s)", s, strings.Join(fleetFormats(), ", "))
}
