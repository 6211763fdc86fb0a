package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	dto "github.com/prometheus/client_model/go"

	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/exporter"
	"github.com/cimjob/cimjob/fleet"
	"github.com/cimjob/cimjob/internal/termtext"
	"github.com/cimjob/cimjob/simulator"
)

// The exporter step of the demo.
const (
	// demoExporterJobs is each simulated host's job count: enough for
	// jobs in every state, few enough that the failing host's failed
	// jobs fit on the screen.
	demoExporterJobs = 16
	// demoExporterSeed picks the hosts' jobs; with it the failing host
	// has two failed jobs.
	demoExporterSeed = 1
	// demoExporterModule is the config's one module.
	demoExporterModule = "hyperv"
	// demoExporterBound bounds the whole step, should the exporter or a
	// host hang: every probe on loopback takes milliseconds.
	demoExporterBound = time.Minute
	// demoScrapeMaxBytes bounds the read of one /probe answer; the demo's
	// are a few kB.
	demoScrapeMaxBytes = 1 << 20
)

// demoProbeFamilies are the families of a /probe answer the demo shows;
// the others (job counts, durations) are left out to keep it short.
var demoProbeFamilies = []string{exporter.MetricProbeSuccess, fleet.MetricFailedJobInfo, exporter.MetricProbeFailureInfo}

// demoTarget is one simulated host the exporter probes, and what its
// probe must show.
type demoTarget struct {
	name        string // what the headings call it
	title       string // the step's heading
	target      string // 127.0.0.1:port, as Prometheus would name it
	server      *simulator.Server
	wantSuccess float64
	wantFailed  []string // instance IDs of the host's failed jobs, sorted
	wantReason  exporter.Reason
}

// demoExporter starts three simulated hosts (healthy, with failed jobs,
// refusing the password), runs the real 'cimjob exporter' on a loopback
// port with sub's environment, and scrapes each host through it as
// Prometheus would. It returns what differed from what should be.
func (a *app) demoExporter(ctx context.Context, sub *app, user string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, demoExporterBound)
	defer cancel()
	targets, closeHosts, err := startDemoTargets()
	if err != nil {
		return nil, err
	}
	defer closeHosts()
	dir, err := os.MkdirTemp("", "cimjob-demo-")
	if err != nil {
		return nil, &answerError{fmt.Errorf("demo: %w", err)}
	}
	defer os.RemoveAll(dir)
	cfgPath := filepath.Join(dir, "exporter.yml")
	// The module names the variable, as a config must: the password
	// itself is in no file and on no command line.
	cfg := fmt.Sprintf("modules:\n  %s:\n    profile: %s\n    username: %s\n    password_env: %s\n    targets: ['127\\.0\\.0\\.1:[0-9]+']\n",
		demoExporterModule, job.NameHyperV, user, envPassword)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, &answerError{fmt.Errorf("demo: %w", err)}
	}

	fmt.Fprintf(a.stdout, "\n# The Prometheus exporter: three more simulated hosts (no failed job, failed jobs, refusing the password)\n")
	fmt.Fprintf(a.stdout, "$ cat %s\n%s", cfgPath, cfg)
	args := []string{"exporter", "--config.file", cfgPath, "--web.listen-address", "127.0.0.1:0", "--log.level", "warn"}
	fmt.Fprintf(a.stdout, "$ cimjob %s &\n", strings.Join(args, " "))
	run, err := startDemoExporter(ctx, sub, args)
	if err != nil {
		fmt.Fprintf(a.stdout, "[exit %d: %s]\n", run.code, exitMeaning(run.code))
		return []string{fmt.Sprintf("the exporter exited %d before listening", run.code)}, nil
	}
	fmt.Fprintf(a.stdout, "(listening on %s; each scrape below shows only the lines of %s)\n", run.addr, strings.Join(demoProbeFamilies, ", "))

	client := &http.Client{}
	var wrong []string
	for _, t := range targets {
		fmt.Fprintf(a.stdout, "\n# %s\n", t.title)
		if w := a.demoScrape(ctx, client, run.addr, t, 0); w != "" {
			wrong = append(wrong, w)
		}
	}
	healthy := targets[0]
	fmt.Fprintf(a.stdout, "\n# %s again: the exporter kept its authenticated connection, so this scrape costs one HTTP request\n", capitalize(healthy.name))
	if w := a.demoScrape(ctx, client, run.addr, healthy, 1); w != "" {
		wrong = append(wrong, w)
	}

	client.CloseIdleConnections() // the demo's own pool, not left to the garbage collector
	code := run.stop()
	meaning := exitMeaning(code)
	if code == exitOK {
		meaning = "stopped cleanly"
	}
	fmt.Fprintf(a.stdout, "(the demo stops the exporter as SIGTERM would: by ending its context)\n[exit %d: %s]\n", code, meaning)
	if code != exitOK {
		wrong = append(wrong, fmt.Sprintf("the exporter exited %d when stopped, want %d", code, exitOK))
	}
	if err := ctx.Err(); err != nil {
		return wrong, &answerError{fmt.Errorf("demo: the exporter step: %w", err)}
	}
	return wrong, nil
}

// startDemoTargets starts the exporter step's hosts, Hyper-V jobs only
// as the module reads: a healthy one first, then one with failed jobs,
// then one refusing the scenario's password.
func startDemoTargets() ([]*demoTarget, func(), error) {
	start := func(opt simulator.FleetOptions) (*simulator.Fleet, error) {
		opt.Jobs, opt.Seed, opt.Profiles = demoExporterJobs, demoExporterSeed, []string{job.NameHyperV}
		f, err := simulator.NewFleet(opt)
		if err != nil {
			return nil, &answerError{fmt.Errorf("starting the simulated hosts: %w", err)}
		}
		return f, nil
	}
	healthy, err := start(simulator.FleetOptions{Hosts: 1, NoFailedJobs: true})
	if err != nil {
		return nil, nil, err
	}
	others, err := start(simulator.FleetOptions{Hosts: 2, AuthFail: 0.5})
	if err != nil {
		healthy.Close()
		return nil, nil, err
	}
	closeAll := func() {
		healthy.Close()
		others.Close()
	}
	h := healthy.Hosts()[0]
	out := []*demoTarget{{name: "the healthy host", title: "A healthy host: jobs in every state, none failed", target: hostOf(h.URL), server: h.Server, wantSuccess: 1}}
	var failed, refusing *demoTarget
	for _, h := range others.Hosts() {
		if h.Behaviour == simulator.BehaviourAuthFail {
			refusing = &demoTarget{name: "the host refusing the password", title: "A host refusing the password", target: hostOf(h.URL), server: h.Server, wantReason: exporter.ReasonAuth}
			continue
		}
		t := &demoTarget{name: "the host with failed jobs", title: "A host with failed jobs: each one's first error, fetched once and kept", target: hostOf(h.URL), server: h.Server, wantSuccess: 1}
		for _, j := range h.Server.GeneratedJobs() {
			if j.Failed {
				t.wantFailed = append(t.wantFailed, j.InstanceID)
			}
		}
		slices.Sort(t.wantFailed)
		failed = t
	}
	if failed == nil || refusing == nil {
		closeAll()
		return nil, nil, &answerError{fmt.Errorf("demo: the simulated fleet lacks a host with failed jobs or one refusing the password")}
	}
	return append(out, failed, refusing), closeAll, nil
}

// demoExporterRun is the exporter running in the background.
type demoExporterRun struct {
	addr   string // host:port it listens on
	cancel context.CancelFunc
	exited chan struct{} // closed once code is set
	code   int
}

// stop ends the exporter's context, as SIGTERM does, and returns its
// exit code.
func (r *demoExporterRun) stop() int {
	r.cancel()
	<-r.exited
	return r.code
}

// startDemoExporter runs 'cimjob ARGS' (the exporter) with sub's
// environment and returns once it listens, learning the port it bound
// through the app's listen hook; an error when it exited first.
func startDemoExporter(ctx context.Context, sub *app, args []string) (*demoExporterRun, error) {
	ex := *sub
	ex.hangups = nil // SIGHUP stays the demo's
	bound := make(chan net.Addr, 1)
	ex.listen = listenReporting(bound)
	r := &demoExporterRun{exited: make(chan struct{})}
	var rctx context.Context
	rctx, r.cancel = context.WithCancel(ctx)
	go func() {
		defer close(r.exited)
		r.code = ex.run(rctx, args)
	}()
	select {
	case addr := <-bound:
		r.addr = addr.String()
		return r, nil
	case <-r.exited:
		r.cancel()
		return r, fmt.Errorf("the exporter exited %d before listening", r.code)
	}
}

// listenReporting is a listen hook of the app that sends the address of
// each listener it opens to bound, which must have room for them all:
// how a caller of 'cimjob exporter' on port 0 learns the port.
func listenReporting(bound chan<- net.Addr) func(ctx context.Context, network, address string) (net.Listener, error) {
	return func(ctx context.Context, network, address string) (net.Listener, error) {
		var lc net.ListenConfig
		l, err := lc.Listen(ctx, network, address)
		if err == nil {
			bound <- l.Addr()
		}
		return l, err
	}
}

// demoScrape GETs the target's /probe through the exporter, prints the
// answer's lines of demoProbeFamilies and the verdict, and returns what
// differed from what should be ("" when nothing). wantRequests > 0 also
// checks how many HTTP requests the probe cost the host.
func (a *app) demoScrape(ctx context.Context, client *http.Client, addr string, t *demoTarget, wantRequests int) string {
	// The target is a simulated host's 127.0.0.1:port: nothing to escape.
	u := "http://" + addr + pathProbe + "?module=" + demoExporterModule + "&target=" + t.target
	fmt.Fprintf(a.stdout, "$ curl -s '%s' | grep -E '^(%s)[{ ]'\n", u, strings.Join(demoProbeFamilies, "|"))
	before := t.server.Stats().Requests
	status, body, err := demoGet(ctx, client, u)
	requests := t.server.Stats().Requests - before
	if err != nil {
		fmt.Fprintf(a.stdout, "[%v]\n", err)
		return fmt.Sprintf("scraping %s: %v", t.target, err)
	}
	for _, line := range strings.Split(body, "\n") {
		for _, f := range demoProbeFamilies {
			if strings.HasPrefix(line, f+"{") || strings.HasPrefix(line, f+" ") {
				fmt.Fprintln(a.stdout, termtext.Sanitize(line))
			}
		}
	}
	got := fmt.Sprintf("HTTP %d; %s saw %d HTTP request(s)", status, t.name, requests)
	problem := checkDemoProbe(status, body, t)
	if problem == "" && wantRequests > 0 && requests != wantRequests {
		problem = fmt.Sprintf("%d HTTP requests, want %d", requests, wantRequests)
	}
	if problem != "" {
		fmt.Fprintf(a.stdout, "[%s; NOT as expected: %s]\n", got, problem)
		return fmt.Sprintf("probe of %s: %s", t.target, problem)
	}
	fmt.Fprintf(a.stdout, "[%s; as expected]\n", got)
	return ""
}

// demoGet is curl -s: the status and body of a GET, the body bounded.
func demoGet(ctx context.Context, client *http.Client, u string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, demoScrapeMaxBytes+1))
	if err != nil {
		return 0, "", err
	}
	if len(b) > demoScrapeMaxBytes {
		return 0, "", fmt.Errorf("the answer is over %d bytes", demoScrapeMaxBytes)
	}
	return resp.StatusCode, string(b), nil
}

// checkDemoProbe compares a /probe answer with what the target should
// give: "" when it matches, else what differs.
func checkDemoProbe(status int, body string, t *demoTarget) string {
	if status != http.StatusOK {
		return fmt.Sprintf("HTTP %d, want %d", status, http.StatusOK)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		return fmt.Sprintf("not a Prometheus exposition: %v", err)
	}
	success := fams[exporter.MetricProbeSuccess]
	if success == nil || len(success.Metric) != 1 || success.Metric[0].GetGauge().GetValue() != t.wantSuccess {
		return fmt.Sprintf("%s is not %g", exporter.MetricProbeSuccess, t.wantSuccess)
	}
	var failed []string
	if f := fams[fleet.MetricFailedJobInfo]; f != nil {
		for _, m := range f.Metric {
			failed = append(failed, labelOf(m, "instance_id"))
		}
	}
	slices.Sort(failed)
	if !slices.Equal(failed, t.wantFailed) {
		return fmt.Sprintf("%s lists jobs %v, the host has failed jobs %v", fleet.MetricFailedJobInfo, failed, t.wantFailed)
	}
	var reasons []string
	if f := fams[exporter.MetricProbeFailureInfo]; f != nil {
		for _, m := range f.Metric {
			reasons = append(reasons, labelOf(m, "reason"))
		}
	}
	want := []string(nil)
	if t.wantReason != "" {
		want = []string{string(t.wantReason)}
	}
	if !slices.Equal(reasons, want) {
		return fmt.Sprintf("%s gives reasons %v, want %v", exporter.MetricProbeFailureInfo, reasons, want)
	}
	return ""
}

func labelOf(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// capitalize upper-cases an ASCII first letter.
func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
