package exporter_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/exporter"
	"github.com/cimjob/cimjob/simulator"
	"github.com/cimjob/cimjob/wsman"
)

// The soak's defaults are issue 10's figures: 500 hosts, every 15 s, for
// 10 minutes, with Prometheus' scrape timeout of 10 s.
var (
	soakHosts    = flag.Int("soak.hosts", 500, "BenchmarkSoak: simulated hosts the exporter probes")
	soakInterval = flag.Duration("soak.interval", 15*time.Second, "BenchmarkSoak: scrape interval of every target")
	soakDuration = flag.Duration("soak.duration", 10*time.Minute, "BenchmarkSoak: how long the exporter is scraped")
	soakTimeout  = flag.Duration("soak.scrape-timeout", 10*time.Second, "BenchmarkSoak: scrape timeout, sent as X-Prometheus-Scrape-Timeout-Seconds (at most the interval)")
	soakWarmup   = flag.Int("soak.warmup", 3, "BenchmarkSoak: rounds after which memory counts as warmed up")
	soakBaseline = flag.Int("soak.baseline", 2, "BenchmarkSoak: rounds in which the hosts are listed directly, without the exporter, to measure the simulator's share")
)

// The soak fleet misbehaves as a real one does: a few hosts hang, drop
// the connection, refuse the password, or answer 503 now and then; every
// request takes 20-80 ms.
func soakFleetOptions(hosts int) simulator.FleetOptions {
	return simulator.FleetOptions{Hosts: hosts, Seed: 10, Profiles: []string{job.NameHyperV},
		Latency: 20 * time.Millisecond, Jitter: 60 * time.Millisecond,
		Hang: 0.01, Drop: 0.01, AuthFail: 0.01, Flaky: 0.02, FailRate: 0.2}
}

const (
	soakUser        = "demo" // the fleet scenario's user
	soakPassword    = "demo-password"
	soakPasswordEnv = "CIMJOB_SOAK_PASSWORD"
	soakModule      = "hyperv"
	// soakMaxBody bounds a /probe reply the scraper reads.
	soakMaxBody = 4 << 20
)

const soakConfig = `modules:
  ` + soakModule + `:
    profile: hyperv
    auth: ntlm
    username: ` + soakUser + `
    password_env: ` + soakPasswordEnv + `
`

// BenchmarkSoak is issue 10's scale check: one exporter, served over real
// HTTP, scraped as Prometheus would scrape it (each target once per
// interval at its own fixed offset, with X-Prometheus-Scrape-Timeout-
// Seconds), in front of a simulated fleet. It runs once whatever b.N:
//
//	go test -run '^$' -bench BenchmarkSoak -benchtime 1x -timeout 30m ./exporter/
//
// and, in about a minute:
//
//	go test -run '^$' -bench BenchmarkSoak -benchtime 1x ./exporter/ \
//	    -soak.hosts 50 -soak.interval 5s -soak.duration 40s
//
// After each round it prints one row: heap and goroutines (the least of
// three forced GCs 100 ms apart), the scraper's open connections, the
// exporter's kept targets, error cache and cache misses (its own
// metrics), the round's probes, how many were late (no answer within the
// scrape timeout, or a healthy host's probe cut by the exporter's
// deadline), their p50/p99/max, and the simulator's requests per probe and
// connections accepted so far. Memory is judged by ratios within the run:
// the end against the end of the warm-up, and the growth per round fitted
// over the rounds from there. Goroutines are judged less those of the
// scraper's connections, whose number follows the peak of concurrent
// scrapes, not the exporter.
//
// The simulated hosts live in this process, so the heap holds them too
// (each caches sample instances at its first listing, then holds steady):
// a baseline phase first lists every host directly (a kept client per
// host, no exporter) on the same schedule, and the heap left after it
// (its clients closed) is reported as the simulator's share and
// subtracted in heap_excl_sim_growth_ratio. The simulator also keeps a
// record of about 150 bytes per TCP connection (sim_conn), which grows
// when hosts that drop or hang make the exporter reconnect.
//
// It is not a test: it asserts nothing about time. It fails when a probe
// says something wrong (a healthy host down, a misbehaving one up, failed
// jobs missing), since the figures would then mean nothing.
func BenchmarkSoak(b *testing.B) {
	hosts, interval, timeout := *soakHosts, *soakInterval, min(*soakTimeout, *soakInterval)
	rounds := int(*soakDuration / interval)
	if hosts < 1 || interval <= 0 || timeout <= 0 || rounds < 2 {
		b.Fatalf("soak: want -soak.hosts ≥ 1 and -soak.duration ≥ 2 × -soak.interval (got %d hosts, %d rounds)", hosts, rounds)
	}
	warmup := min(max(*soakWarmup, 1), rounds-1)
	// Listeners, both ends of each exporter→host and scraper→exporter
	// connection, and room for the rest.
	need := uint64(5*hosts + 256)
	if got, err := soakRaiseFDLimit(need); err != nil || got < need {
		b.Fatalf("soak: %d hosts need about %d file descriptors, RLIMIT_NOFILE gives %d (%v): raise it (ulimit -n) or lower -soak.hosts", hosts, need, got, err)
	}

	f, err := simulator.NewFleet(soakFleetOptions(hosts))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	fleet := newSoakFleet(b, f, interval)
	out := os.Stdout
	fmt.Fprintf(out, "soak: %d hosts (%s), interval %s, scrape timeout %s, %d rounds (warm-up %d), %d CPUs, GOMAXPROCS %d, %s/%s, load average %s\n",
		hosts, fleet.describe(), interval, timeout, rounds, warmup, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, soakLoadAvg())

	idle := soakMeasure()
	fmt.Fprintf(out, "simulator idle: heap in use %s, %d goroutines\n", soakMiB(idle.heapInuse), idle.goroutines)

	// Baseline: the simulator under the same load, without the exporter.
	simHeap := idle
	if *soakBaseline > 0 {
		bl := fleet.baseline(b, out, interval, timeout, *soakBaseline)
		simHeap = soakMeasure()
		fmt.Fprintf(out, "simulator after the baseline (its clients closed): heap in use %s, %d goroutines; baseline's last round %s\n",
			soakMiB(simHeap.heapInuse), simHeap.goroutines, soakMiB(bl.heapInuse))
	}

	handler, gather := soakExporter(b)
	mux := http.NewServeMux()
	mux.Handle("/probe", handler)
	srv := httptest.NewUnstartedServer(mux)
	// The scraper's connections to the exporter follow its peak of
	// concurrent scrapes (a slow moment opens more, kept until idle), as
	// Prometheus' shared connection pool does: counted apart, since their
	// goroutines are not the exporter's growth.
	var scrapeConns atomic.Int64
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			scrapeConns.Add(1)
		case http.StateClosed, http.StateHijacked:
			scrapeConns.Add(-1)
		}
	}
	srv.Start()
	defer srv.Close()
	// One pool of kept connections for all targets, as a Prometheus
	// scrape job has.
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: hosts, MaxIdleConnsPerHost: hosts, IdleConnTimeout: 5 * interval}}
	defer client.CloseIdleConnections()

	b.ResetTimer()
	ph := newSoakPhase("exporter", out, hosts, interval, rounds, warmup)
	ph.gather = gather
	ph.scrapeConns = func() int { return int(scrapeConns.Load()) }
	ph.fleet = fleet
	ph.run(b, func(ctx context.Context, i int) soakResult {
		return fleet.scrape(ctx, client, srv.URL, i, timeout)
	})
	b.StopTimer()

	s := ph.summary(simHeap)
	s.print(out, ph)
	b.ReportMetric(0, "ns/op") // one soak, whatever its length: time per op means nothing
	b.ReportMetric(s.heapRatio, "heap_growth_ratio")
	b.ReportMetric(s.heapExclSimRatio, "heap_excl_sim_growth_ratio")
	b.ReportMetric(s.heapSlope/1024, "heap_KiB/round")
	b.ReportMetric(s.goroutineRatio, "goroutine_growth_ratio")
	b.ReportMetric(float64(s.probes), "probes")
	b.ReportMetric(float64(s.late), "probes_late")
	b.ReportMetric(s.p99.Seconds(), "p99_probe_s")
	b.ReportMetric(s.p99Healthy.Seconds(), "p99_healthy_probe_s")
}

// soakExporter is the exporter under test, with one module for the
// fleet's hosts, and the gatherer of its own metrics. b closes it.
func soakExporter(b *testing.B) (http.Handler, func() ([]*dto.MetricFamily, error)) {
	env := func(k string) (string, bool) {
		if k == soakPasswordEnv {
			return soakPassword, true
		}
		return "", false
	}
	cfg, err := exporter.ParseConfig([]byte(soakConfig), b.TempDir(), env)
	if err != nil {
		b.Fatal(err)
	}
	e := exporter.New(cfg, exporter.Options{})
	b.Cleanup(func() { e.Close() })
	reg := prometheus.NewRegistry()
	reg.MustRegister(e)
	return e, reg.Gather
}

// soakHost is a fleet host as the soak scrapes and judges it.
type soakHost struct {
	target    string // host:port, the /probe target parameter
	url       string
	behaviour string
	failed    []string // InstanceIDs of its jobs that count as failed, sorted
	jobs      int      // its Hyper-V jobs
	offset    time.Duration
}

type soakFleet struct {
	f     *simulator.Fleet
	hosts []soakHost
}

func newSoakFleet(b *testing.B, f *simulator.Fleet, interval time.Duration) *soakFleet {
	sf := &soakFleet{f: f}
	for _, h := range f.Hosts() {
		u, err := url.Parse(h.URL)
		if err != nil {
			b.Fatal(err)
		}
		sh := soakHost{target: u.Host, url: h.URL, behaviour: h.Behaviour}
		for _, j := range h.Server.GeneratedJobs() {
			if j.Profile != job.NameHyperV {
				continue
			}
			sh.jobs++
			if j.Failed {
				sh.failed = append(sh.failed, j.InstanceID)
			}
		}
		slices.Sort(sh.failed)
		sh.offset = soakOffset(sh.target, interval)
		sf.hosts = append(sf.hosts, sh)
	}
	return sf
}

// soakOffset spreads targets over the interval as Prometheus does: a
// fixed offset from a hash of the target.
func soakOffset(target string, interval time.Duration) time.Duration {
	h := fnv.New64a()
	h.Write([]byte(target))
	return time.Duration(h.Sum64() % uint64(interval))
}

func (sf *soakFleet) describe() string {
	n := map[string]int{}
	for _, h := range sf.hosts {
		n[h.behaviour]++
	}
	var parts []string
	for _, k := range []string{simulator.BehaviourNormal, simulator.BehaviourHang, simulator.BehaviourDrop, simulator.BehaviourAuthFail, simulator.BehaviourFlaky} {
		if n[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[k], k))
		}
	}
	o := soakFleetOptions(len(sf.hosts))
	return strings.Join(parts, ", ") + fmt.Sprintf("; %d jobs each, latency %s + up to %s", sf.hosts[0].jobs, o.Latency, o.Jitter)
}

// soakResult is one probe as the scraper saw it.
type soakResult struct {
	dur     time.Duration
	healthy bool // the host does not misbehave
	up      bool
	late    bool // no answer within the scrape timeout, or a healthy host's probe cut by its deadline
	// misreported: a probe of a misbehaving host failed for another
	// reason than the one expected (reported, not fatal).
	misreported string
	// wrong makes the run meaningless: a healthy host down, a misbehaving
	// one up, failed jobs missing, a refused request.
	wrong error
}

// scrape probes host i through the exporter, as Prometheus would.
func (sf *soakFleet) scrape(ctx context.Context, client *http.Client, base string, i int, timeout time.Duration) soakResult {
	h := &sf.hosts[i]
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	q := url.Values{"module": {soakModule}, "target": {h.target}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/probe?"+q.Encode(), nil)
	if err != nil {
		return soakResult{wrong: err}
	}
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64))
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	start := time.Now()
	body, status, err := soakGet(client, req)
	r := soakResult{dur: time.Since(start), healthy: h.behaviour == simulator.BehaviourNormal}
	if err != nil || r.dur > timeout {
		r.late = true
		return r
	}
	if status != http.StatusOK {
		r.wrong = fmt.Errorf("%s: HTTP %d: %s", h.target, status, bytes.TrimSpace(body))
		return r
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		r.wrong = fmt.Errorf("%s: /probe reply: %w", h.target, err)
		return r
	}
	up, ok := soakGauge(mfs["cimjob_probe_success"])
	if !ok {
		r.wrong = fmt.Errorf("%s: no cimjob_probe_success in the reply", h.target)
		return r
	}
	r.up = up == 1
	reason := soakLabel(mfs["cimjob_probe_failure_info"], "reason")
	if h.behaviour == simulator.BehaviourNormal && !r.up && reason == "timeout" {
		// A healthy host's probe cut by its deadline: the machine was too
		// slow, not the exporter wrong. No useful answer in time: late.
		r.late = true
		return r
	}
	r.wrong, r.misreported = h.judge(r.up, reason, mfs["cimjob_failed_job_info"])
	return r
}

func soakGet(client *http.Client, req *http.Request) ([]byte, int, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, soakMaxBody))
	return body, resp.StatusCode, err
}

// wantReason is the failure reason each misbehaviour must give.
var soakWantReason = map[string]string{
	simulator.BehaviourHang:     "timeout",
	simulator.BehaviourDrop:     "transport",
	simulator.BehaviourAuthFail: "auth",
	simulator.BehaviourFlaky:    "transport",
}

// judge checks a probe's answer against what the host is.
func (h *soakHost) judge(up bool, reason string, failedInfo *dto.MetricFamily) (wrong error, misreported string) {
	switch h.behaviour {
	case simulator.BehaviourNormal:
		if !up {
			return fmt.Errorf("%s: healthy host reported down (reason %q)", h.target, reason), ""
		}
	case simulator.BehaviourFlaky:
		// Up when the retries got through.
		if up {
			return nil, ""
		}
	default:
		if up {
			return fmt.Errorf("%s: %s host reported up", h.target, h.behaviour), ""
		}
	}
	if !up {
		if want := soakWantReason[h.behaviour]; reason != want {
			return nil, fmt.Sprintf("%s host: reason %q, want %q", h.behaviour, reason, want)
		}
		return nil, ""
	}
	var ids []string
	for _, m := range failedInfo.GetMetric() {
		l := soakLabels(m)
		if l["message_id"] == "" && l["cim_status_code"] == "" {
			return fmt.Errorf("%s: failed job %s without its error", h.target, l["instance_id"]), ""
		}
		ids = append(ids, l["instance_id"])
	}
	slices.Sort(ids)
	if !slices.Equal(ids, h.failed) {
		return fmt.Errorf("%s: failed jobs %v, want %v", h.target, ids, h.failed), ""
	}
	return nil, ""
}

func soakGauge(mf *dto.MetricFamily) (float64, bool) {
	if len(mf.GetMetric()) != 1 {
		return 0, false
	}
	return mf.GetMetric()[0].GetGauge().GetValue(), true
}

func soakLabel(mf *dto.MetricFamily, name string) string {
	for _, m := range mf.GetMetric() {
		if v, ok := soakLabels(m)[name]; ok {
			return v
		}
	}
	return ""
}

func soakLabels(m *dto.Metric) map[string]string {
	l := make(map[string]string, len(m.GetLabel()))
	for _, p := range m.GetLabel() {
		l[p.GetName()] = p.GetValue()
	}
	return l
}

// baseline lists every host directly, with a kept client per host, on the
// soak's schedule: the simulator's load without the exporter. It returns
// the last round's sample; the clients are closed on return.
func (sf *soakFleet) baseline(b *testing.B, out io.Writer, interval, timeout time.Duration, rounds int) soakSample {
	clients := make([]*wsman.Client, len(sf.hosts))
	for i, h := range sf.hosts {
		c, err := wsman.NewClient(wsman.Config{URL: h.url, Auth: &wsman.NTLMAuth{Username: soakUser, Password: soakPassword}})
		if err != nil {
			b.Fatal(err)
		}
		clients[i] = c
	}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	ph := newSoakPhase("baseline", out, len(sf.hosts), interval, rounds, rounds)
	ph.fleet = sf
	ph.run(b, func(ctx context.Context, i int) soakResult {
		h := &sf.hosts[i]
		// The exporter's probe deadline: the scrape timeout less its offset.
		ctx, cancel := context.WithTimeout(ctx, timeout-500*time.Millisecond)
		defer cancel()
		start := time.Now()
		jobs, err := job.List(ctx, clients[i], job.HyperV(), job.ListOptions{Which: job.All})
		r := soakResult{dur: time.Since(start), up: err == nil, healthy: h.behaviour == simulator.BehaviourNormal}
		switch {
		case r.dur > timeout:
			r.late = true
		case h.behaviour == simulator.BehaviourNormal && errors.Is(err, context.DeadlineExceeded):
			r.late = true
		case h.behaviour == simulator.BehaviourNormal && err != nil:
			r.wrong = fmt.Errorf("baseline: %s: %w", h.target, err)
		case h.behaviour == simulator.BehaviourNormal && len(jobs) != h.jobs:
			r.wrong = fmt.Errorf("baseline: %s: %d jobs listed, want %d", h.target, len(jobs), h.jobs)
		case h.behaviour != simulator.BehaviourNormal && h.behaviour != simulator.BehaviourFlaky && err == nil:
			r.wrong = fmt.Errorf("baseline: %s: %s host answered", h.target, h.behaviour)
		}
		return r
	})
	return ph.rounds[rounds-1].sample
}

// soakSample is the process's state at a round's end, after a forced GC.
type soakSample struct {
	at                   time.Duration // since the phase started
	heapInuse, heapAlloc uint64
	goroutines           int
	// scrapeConns are the scraper's connections to the exporter, open
	// at the time (0 in the baseline).
	scrapeConns int
	// The exporter's own metrics (-1 in the baseline).
	targets, cacheEntries, cacheMisses float64
	// The simulator's counters, cumulative.
	simRequests, simGetErrors, simConns int
}

// soakMeasure forces a GC and reads the heap and the goroutines, three
// times 100 ms apart, and keeps the least of each: what stays, without
// the replies of the probes in flight at that instant, which would
// otherwise make the samples jump by megabytes.
func soakMeasure() soakSample {
	s := soakSample{heapInuse: math.MaxUint64, heapAlloc: math.MaxUint64, goroutines: math.MaxInt,
		targets: -1, cacheEntries: -1, cacheMisses: -1}
	for k := range 3 {
		if k > 0 {
			time.Sleep(100 * time.Millisecond)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		s.heapInuse, s.heapAlloc = min(s.heapInuse, ms.HeapInuse), min(s.heapAlloc, ms.HeapAlloc)
		s.goroutines = min(s.goroutines, runtime.NumGoroutine())
	}
	return s
}

// netGoroutines leaves out the goroutines of the scraper's connections
// to the exporter: a read and a write loop on the client's side, the
// connection's own on the server's.
func (s soakSample) netGoroutines() int { return s.goroutines - 3*s.scrapeConns }

// soakRound gathers one round: its probes and its end-of-round sample.
type soakRound struct {
	sample      soakSample
	sampled     bool
	durs        []time.Duration
	healthy     []time.Duration // of the hosts that do not misbehave
	up, late    int
	misreported int
}

// soakPhase runs the scrape schedule and prints a row per round.
type soakPhase struct {
	name           string
	out            io.Writer
	hosts          int
	interval       time.Duration
	rounds         []*soakRound
	warmup         int
	gather         func() ([]*dto.MetricFamily, error) // the exporter's own metrics; nil in the baseline
	scrapeConns    func() int                          // the scraper's connections open; nil in the baseline
	fleet          *soakFleet
	start          time.Time
	mu             sync.Mutex
	printed        int
	lastDone       chan struct{} // closed when the last round's probes have all ended
	cpuStart, cpu  time.Duration // the process's CPU time at the start, and used up to the last sample
	errs           []error
	misreportNotes map[string]bool
}

func newSoakPhase(name string, out io.Writer, hosts int, interval time.Duration, rounds, warmup int) *soakPhase {
	ph := &soakPhase{name: name, out: out, hosts: hosts, interval: interval, warmup: warmup, misreportNotes: map[string]bool{}}
	for range rounds {
		ph.rounds = append(ph.rounds, &soakRound{})
	}
	return ph
}

// run scrapes each target once per round at its offset, one loop per
// target as Prometheus has, samples the process at each round's end, and
// fails b when a probe says something wrong.
func (ph *soakPhase) run(b *testing.B, probe func(context.Context, int) soakResult) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fmt.Fprintf(ph.out, "%s phase\n%5s %6s %9s %9s %6s %5s %7s %6s %5s %6s %6s %5s %5s %7s %7s %7s %7s %8s\n", ph.name,
		"round", "t_s", "inuse_MiB", "alloc_MiB", "gorout", "sconn", "targets", "cache", "miss", "probes", "up", "late", "misr",
		"p50_ms", "p99_ms", "max_ms", "req/prb", "sim_conn")
	ph.start, ph.cpuStart = time.Now(), soakCPU()
	ph.lastDone = make(chan struct{})
	n := len(ph.rounds)
	var wg sync.WaitGroup
	for i := range ph.hosts {
		off := ph.fleet.hosts[i].offset
		wg.Go(func() {
			// One round more than recorded, so that the last sample sees
			// the exporter under load as the others do; it is cut short.
			for r := range n + 1 {
				if !soakSleepUntil(ctx, ph.start.Add(time.Duration(r)*ph.interval+off)) {
					return
				}
				res := probe(ctx, i)
				if ctx.Err() != nil || r == n {
					return
				}
				if res.wrong != nil {
					ph.fail(res.wrong)
					cancel()
					return
				}
				ph.record(r, res)
			}
		})
	}
	wg.Go(func() {
		for r := range n {
			if !soakSleepUntil(ctx, ph.start.Add(time.Duration(r+1)*ph.interval)) {
				return
			}
			s := ph.sample()
			if r == n-1 {
				ph.cpu = soakCPU() - ph.cpuStart
			}
			ph.mu.Lock()
			ph.rounds[r].sample, ph.rounds[r].sampled = s, true
			ph.printRows()
			ph.mu.Unlock()
		}
		select {
		case <-ph.lastDone:
		case <-ctx.Done():
		}
		cancel()
	})
	wg.Wait()
	if len(ph.errs) > 0 {
		b.Fatalf("soak %s phase: %d wrong probes, the figures mean nothing; first: %v", ph.name, len(ph.errs), errors.Join(ph.errs...))
	}
}

func (ph *soakPhase) fail(err error) {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	if len(ph.errs) < 5 {
		ph.errs = append(ph.errs, err)
	}
}

func (ph *soakPhase) record(r int, res soakResult) {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	rd := ph.rounds[r]
	rd.durs = append(rd.durs, res.dur)
	if res.healthy {
		rd.healthy = append(rd.healthy, res.dur)
	}
	if r == len(ph.rounds)-1 && len(rd.durs) == ph.hosts {
		close(ph.lastDone)
	}
	if res.up {
		rd.up++
	}
	if res.late {
		rd.late++
	}
	if res.misreported != "" {
		rd.misreported++
		if !ph.misreportNotes[res.misreported] {
			ph.misreportNotes[res.misreported] = true
			fmt.Fprintf(ph.out, "soak: misreported: %s\n", res.misreported)
		}
	}
	ph.printRows()
}

// printRows prints, in order, the rounds whose probes have all ended and
// whose sample is taken. ph.mu is held.
func (ph *soakPhase) printRows() {
	for ph.printed < len(ph.rounds) {
		rd := ph.rounds[ph.printed]
		if !rd.sampled || len(rd.durs) < ph.hosts {
			return
		}
		s := rd.sample
		prev := soakSample{}
		if ph.printed > 0 {
			prev = ph.rounds[ph.printed-1].sample
		}
		p50, p99, mx := soakQuantiles(rd.durs)
		mark := ""
		if ph.printed == ph.warmup-1 && ph.warmup < len(ph.rounds) {
			mark = "  <- end of warm-up"
		}
		fmt.Fprintf(ph.out, "%5d %6.0f %9s %9s %6d %5d %7s %6s %5s %6d %6d %5d %5d %7.0f %7.0f %7.0f %7.2f %8d%s\n",
			ph.printed+1, s.at.Seconds(), soakMiB(s.heapInuse), soakMiB(s.heapAlloc), s.goroutines, s.scrapeConns,
			soakOpt(s.targets), soakOpt(s.cacheEntries), soakDelta(s.cacheMisses, prev.cacheMisses),
			len(rd.durs), rd.up, rd.late, rd.misreported, soakMS(p50), soakMS(p99), soakMS(mx),
			float64(s.simRequests-prev.simRequests)/float64(len(rd.durs)), s.simConns, mark)
		ph.printed++
	}
}

// sample forces a GC and reads the heap, the goroutines, the exporter's
// own metrics and the simulator's counters (those last two after the
// memory, since reading them allocates).
func (ph *soakPhase) sample() soakSample {
	s := soakMeasure()
	s.at = time.Since(ph.start)
	if ph.scrapeConns != nil {
		s.scrapeConns = ph.scrapeConns()
	}
	if ph.gather != nil {
		mfs, err := ph.gather()
		if err != nil {
			ph.fail(fmt.Errorf("exporter metrics: %w", err))
		}
		s.targets, s.cacheEntries, s.cacheMisses = 0, 0, 0
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				switch mf.GetName() {
				case "cimjob_exporter_targets":
					s.targets += m.GetGauge().GetValue()
				case "cimjob_exporter_error_cache_entries":
					s.cacheEntries += m.GetGauge().GetValue()
				case "cimjob_exporter_error_cache_requests_total":
					if soakLabels(m)["result"] == "miss" {
						s.cacheMisses += m.GetCounter().GetValue()
					}
				}
			}
		}
	}
	for _, hs := range ph.fleet.f.Stats() {
		s.simRequests += hs.Stats.Requests
		s.simConns += hs.Stats.Connections
		for a, n := range hs.Stats.Actions {
			if strings.HasSuffix(a, "/GetError") || strings.HasSuffix(a, "/GetErrorEx") {
				s.simGetErrors += n
			}
		}
	}
	return s
}

// soakSummary is the verdict of the exporter phase.
type soakSummary struct {
	warm, end                      soakSample
	simHeap                        soakSample
	heapRatio, heapExclSimRatio    float64
	heapSlope                      float64 // bytes per round, fitted after the warm-up
	goroutineRatio, goroutineSlope float64
	probes, up, late, misreported  int
	p50, p99, max                  time.Duration
	p99Healthy, maxHealthy         time.Duration // of the hosts that do not misbehave
	getErrors, failedJobs, rounds  int
	requestsPerProbeWarm           float64
	requestsWarm, probesWarm       int
	connsWarm                      int
}

func (ph *soakPhase) summary(simHeap soakSample) soakSummary {
	n := len(ph.rounds)
	s := soakSummary{warm: ph.rounds[ph.warmup-1].sample, end: ph.rounds[n-1].sample, simHeap: simHeap, rounds: n}
	s.heapRatio = float64(s.end.heapInuse) / float64(s.warm.heapInuse)
	s.heapExclSimRatio = float64(int64(s.end.heapInuse)-int64(simHeap.heapInuse)) / float64(int64(s.warm.heapInuse)-int64(simHeap.heapInuse))
	s.goroutineRatio = float64(s.end.netGoroutines()) / float64(s.warm.netGoroutines())
	var xs, heap, gor []float64
	var all, healthy []time.Duration
	for r, rd := range ph.rounds {
		if r >= ph.warmup-1 {
			xs = append(xs, float64(r))
			heap = append(heap, float64(rd.sample.heapInuse))
			gor = append(gor, float64(rd.sample.netGoroutines()))
		}
		if r >= ph.warmup {
			s.probesWarm += len(rd.durs)
		}
		all = append(all, rd.durs...)
		healthy = append(healthy, rd.healthy...)
		s.up += rd.up
		s.late += rd.late
		s.misreported += rd.misreported
	}
	s.heapSlope, s.goroutineSlope = soakSlope(xs, heap), soakSlope(xs, gor)
	s.probes = len(all)
	s.p50, s.p99, s.max = soakQuantiles(all)
	_, s.p99Healthy, s.maxHealthy = soakQuantiles(healthy)
	s.getErrors = s.end.simGetErrors
	for _, h := range ph.fleet.hosts {
		if h.behaviour == simulator.BehaviourNormal || h.behaviour == simulator.BehaviourFlaky {
			s.failedJobs += len(h.failed)
		}
	}
	s.requestsWarm = s.end.simRequests - s.warm.simRequests
	if s.probesWarm > 0 {
		s.requestsPerProbeWarm = float64(s.requestsWarm) / float64(s.probesWarm)
	}
	s.connsWarm = s.end.simConns - s.warm.simConns
	return s
}

func (s soakSummary) print(out io.Writer, ph *soakPhase) {
	fmt.Fprintf(out, "soak summary (%d rounds of %s, warm-up %d rounds):\n", s.rounds, ph.interval, ph.warmup)
	fmt.Fprintf(out, "  heap in use: %s after warm-up, %s at the end: ratio %.3f; fitted growth %+.1f KiB/round (%+.2f%% of the warm heap over the run)\n",
		soakMiB(s.warm.heapInuse), soakMiB(s.end.heapInuse), s.heapRatio, s.heapSlope/1024,
		100*s.heapSlope*float64(s.rounds-ph.warmup)/float64(s.warm.heapInuse))
	fmt.Fprintf(out, "  of which the simulator (after the baseline): %s; the rest %s → %s: ratio %.3f\n",
		soakMiB(s.simHeap.heapInuse), soakMiB(s.warm.heapInuse-s.simHeap.heapInuse), soakMiB(s.end.heapInuse-s.simHeap.heapInuse), s.heapExclSimRatio)
	fmt.Fprintf(out, "  goroutines: %d after warm-up, %d at the end (%d and %d less 3 per scraper connection): ratio %.3f; fitted %+.2f/round\n",
		s.warm.goroutines, s.end.goroutines, s.warm.netGoroutines(), s.end.netGoroutines(), s.goroutineRatio, s.goroutineSlope)
	fmt.Fprintf(out, "  probes: %d answered, %d up, %d late (no useful answer within the scrape timeout), %d misreported; p50 %s, p99 %s, max %s\n",
		s.probes, s.up, s.late, s.misreported, s.p50.Round(time.Millisecond), s.p99.Round(time.Millisecond), s.max.Round(time.Millisecond))
	fmt.Fprintf(out, "  probes of the hosts that do not misbehave: p99 %s, max %s\n", s.p99Healthy.Round(time.Millisecond), s.maxHealthy.Round(time.Millisecond))
	fmt.Fprintf(out, "  simulator: %.2f requests per probe after warm-up; %d GetError calls for the %d failed jobs of the hosts that answer; %d new connections after warm-up\n",
		s.requestsPerProbeWarm, s.getErrors, s.failedJobs, s.connsWarm)
	fmt.Fprintf(out, "  exporter: %s kept targets, %s error cache entries at the end\n", soakOpt(s.end.targets), soakOpt(s.end.cacheEntries))
	if ph.cpu > 0 {
		fmt.Fprintf(out, "  CPU (exporter, scraper and simulator together): %.0f s over %.0f s, %.2f cores on average; load average at the end %s\n",
			ph.cpu.Seconds(), s.end.at.Seconds(), ph.cpu.Seconds()/s.end.at.Seconds(), soakLoadAvg())
	}
}

// soakSlope is the least-squares slope of ys over xs.
func soakSlope(xs, ys []float64) float64 {
	n := float64(len(xs))
	if n < 2 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx += xs[i]
		sy += ys[i]
		sxx += xs[i] * xs[i]
		sxy += xs[i] * ys[i]
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / d
}

func soakQuantiles(ds []time.Duration) (p50, p99, mx time.Duration) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	q := func(p float64) time.Duration { return s[int(math.Ceil(p*float64(len(s))))-1] }
	return q(0.50), q(0.99), s[len(s)-1]
}

func soakSleepUntil(ctx context.Context, t time.Time) bool {
	tm := time.NewTimer(time.Until(t))
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// soakLoadAvg is the machine's load average (Linux), since the soak
// shares the CPUs with whatever else runs.
func soakLoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func soakMiB(n uint64) string { return fmt.Sprintf("%.1f", float64(n)/(1<<20)) }

func soakMS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func soakOpt(v float64) string {
	if v < 0 {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// soakDelta is a counter's increase since the previous round.
func soakDelta(v, prev float64) string {
	if v < 0 {
		return "-"
	}
	return soakOpt(v - max(prev, 0))
}
