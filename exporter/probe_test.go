package exporter

import (
	"bytes"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/fleet"
	"github.com/cimjob/cimjob/simulator"
	"github.com/cimjob/cimjob/wsman"
)

const nsHyperV = "root/virtualization/v2"

// After a first, cold scrape, a scrape of a warm host is one HTTP
// request, healthy or not (every failed job's errors are cached), and
// over many scrapes each failed job's error method is called once.
func TestWarmScrapeIsOneRequest(t *testing.T) {
	f := startFleet(t, simulator.FleetOptions{Hosts: 1, Jobs: 30, Seed: 5, Profiles: []string{"hyperv"}})
	h := f.Hosts()[0]
	failed := failedIDs(h, nsHyperV)
	if len(failed) == 0 {
		t.Fatal("the simulated host has no failed job")
	}
	e := New(simConfig(t, ""), Options{})
	defer e.Close()
	q := "module=hyperv&target=" + hostPort(t, h)

	first := scrape(t, e, q, "")
	if first.gauge(MetricProbeSuccess) != 1 {
		t.Fatalf("cold scrape failed:\n%s", first.body)
	}
	if n := first.count(fleet.MetricFailedJobInfo); n != len(failed) {
		t.Errorf("cold scrape: %d failed-job series, want %d", n, len(failed))
	}
	if first.count(fleet.MetricOldestRunningJobStart) != 1 {
		t.Errorf("cold scrape: no %s series for the host's running jobs", fleet.MetricOldestRunningJobStart)
	}
	for i := 0; i < 10; i++ {
		before := h.Server.Stats()
		r := scrape(t, e, q, "")
		after := h.Server.Stats()
		if r.gauge(MetricProbeSuccess) != 1 || r.count(fleet.MetricFailedJobInfo) != len(failed) {
			t.Fatalf("scrape %d: success %v, %d failed-job series:\n%s", i, r.gauge(MetricProbeSuccess), r.count(fleet.MetricFailedJobInfo), r.body)
		}
		if d := after.Requests - before.Requests; d != 1 {
			t.Errorf("warm scrape %d: %d HTTP requests, want 1", i, d)
		}
		if after.Handshakes != before.Handshakes {
			t.Errorf("warm scrape %d: a new handshake", i)
		}
	}
	if n := errorCalls(h.Server.Stats()); n != len(failed) {
		t.Errorf("%d error-method calls over 11 scrapes of %d failed jobs, want one each", n, len(failed))
	}
}

// A cached job that leaves the listing is dropped from the cache: when it
// comes back, its error method is called again.
func TestCacheDropsJobThatLeftTheListing(t *testing.T) {
	f := startFleet(t, simulator.FleetOptions{Hosts: 1, Jobs: 30, Seed: 5, Profiles: []string{"hyperv"}})
	h := f.Hosts()[0]
	failed := failedIDs(h, nsHyperV)
	gone := failed[0]
	e := New(simConfig(t, ""), Options{})
	defer e.Close()
	tr := &editTransport{}
	e.wrap = func(inner wsman.Transport) wsman.Transport { tr.Transport = inner; return tr }
	q := "module=hyperv&target=" + hostPort(t, h)

	scrape(t, e, q, "")
	if n := e.pool.entries.Load(); n != int64(len(failed)) {
		t.Fatalf("%d cached entries after the first scrape, want %d", n, len(failed))
	}
	// The host no longer lists the job.
	tr.mu.Lock()
	tr.edit = func(env []byte) []byte {
		return bytes.Replace(env, []byte("SELECT * FROM Msvm_ConcreteJob<"), []byte("SELECT * FROM Msvm_ConcreteJob WHERE InstanceID != '"+gone+"'<"), 1)
	}
	tr.mu.Unlock()
	r := scrape(t, e, q, "")
	if r.count(fleet.MetricFailedJobInfo) != len(failed)-1 {
		t.Fatalf("the edit did not hide the job: %d failed-job series", r.count(fleet.MetricFailedJobInfo))
	}
	if n := e.pool.entries.Load(); n != int64(len(failed)-1) {
		t.Errorf("%d cached entries after the job left, want %d", n, len(failed)-1)
	}
	// Back in the listing: asked again, once.
	tr.mu.Lock()
	tr.edit = nil
	tr.mu.Unlock()
	calls := errorCalls(h.Server.Stats())
	scrape(t, e, q, "")
	scrape(t, e, q, "")
	if d := errorCalls(h.Server.Stats()) - calls; d != 1 {
		t.Errorf("%d error-method calls for the job that came back, want 1", d)
	}
}

// Two probes of one target at once call each failed job's error method
// once between them.
func TestConcurrentProbesDoNotDoubleCalls(t *testing.T) {
	f := startFleet(t, simulator.FleetOptions{Hosts: 1, Jobs: 30, Seed: 5, Profiles: []string{"hyperv"}, Latency: 2 * time.Millisecond})
	h := f.Hosts()[0]
	failed := failedIDs(h, nsHyperV)
	e := New(simConfig(t, ""), Options{})
	defer e.Close()
	q := "module=hyperv&target=" + hostPort(t, h)
	var wg sync.WaitGroup
	results := make([]scrapeResult, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = scrape(t, e, q, "")
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.gauge(MetricProbeSuccess) != 1 || r.count(fleet.MetricFailedJobInfo) != len(failed) {
			t.Errorf("probe %d: success %v, %d failed-job series", i, r.gauge(MetricProbeSuccess), r.count(fleet.MetricFailedJobInfo))
		}
	}
	if n := errorCalls(h.Server.Stats()); n != len(failed) {
		t.Errorf("%d error-method calls from 4 concurrent probes of %d failed jobs, want one each", n, len(failed))
	}
}

// max_failed_jobs bounds the error-method calls of one probe; the rest
// come on later scrapes, and the jobs not yet asked about are still
// counted and listed.
func TestMaxFailedJobsBoundsCalls(t *testing.T) {
	f := startFleet(t, simulator.FleetOptions{Hosts: 1, Jobs: 30, Seed: 5, Profiles: []string{"hyperv"}})
	h := f.Hosts()[0]
	failed := failedIDs(h, nsHyperV)
	if len(failed) < 3 {
		t.Fatalf("only %d failed jobs", len(failed))
	}
	e := New(simConfig(t, "    max_failed_jobs: 2\n"), Options{})
	defer e.Close()
	q := "module=hyperv&target=" + hostPort(t, h)
	for i := 1; i <= len(failed); i++ {
		r := scrape(t, e, q, "")
		want := min(2*i, len(failed))
		if n := errorCalls(h.Server.Stats()); n != want {
			t.Fatalf("after %d scrapes: %d error-method calls, want %d", i, n, want)
		}
		if r.gauge(fleet.MetricHostFailedJobs) != float64(len(failed)) {
			t.Errorf("scrape %d: %v failed jobs counted, want %d", i, r.gauge(fleet.MetricHostFailedJobs), len(failed))
		}
	}
}

// A hanging host: the probe gives up within the scrape's timeout less the
// offset, and says why.
func TestScrapeTimeoutHeader(t *testing.T) {
	f := startFleet(t, simulator.FleetOptions{Hosts: 1, Jobs: 5, Seed: 5, Hang: 1})
	h := f.Hosts()[0]
	if h.Behaviour != simulator.BehaviourHang {
		t.Fatalf("host behaviour %q, want hang", h.Behaviour)
	}
	e := New(simConfig(t, ""), Options{TimeoutOffset: 100 * time.Millisecond})
	defer e.Close()
	r := scrape(t, e, "module=hyperv&target="+hostPort(t, h), "0.3")
	if r.code != 200 || r.gauge(MetricProbeSuccess) != 0 || r.label(MetricProbeFailureInfo, "reason") != string(ReasonTimeout) {
		t.Fatalf("code %d, success %v, reason %q:\n%s", r.code, r.gauge(MetricProbeSuccess), r.label(MetricProbeFailureInfo, "reason"), r.body)
	}
	if r.gauge(fleet.MetricHostUp) != 0 {
		t.Errorf("host_up %v, want 0", r.gauge(fleet.MetricHostUp))
	}
}

func TestProbeTimeout(t *testing.T) {
	cfg := simConfig(t, "    timeout: 10s\n")
	e := New(cfg, Options{TimeoutOffset: 500 * time.Millisecond})
	m := cfg.Modules["hyperv"]
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 10 * time.Second},
		{"5", 4500 * time.Millisecond},
		{"60", 10 * time.Second},          // the module bounds it
		{"10.2", 9700 * time.Millisecond}, // lowered by less than the offset: still lowered
		{"0.4", 200 * time.Millisecond},   // no room for the offset: half
		{"abc", 10 * time.Second},
		{"-3", 10 * time.Second},
		{"NaN", 10 * time.Second},
		{"Inf", 10 * time.Second},
		{"1e300", 10 * time.Second},
	}
	for _, tt := range tests {
		if got := e.timeout(m, tt.header); got != tt.want {
			t.Errorf("timeout(header %q) = %s, want %s", tt.header, got, tt.want)
		}
	}
}

// A target's cache holds at most maxErrs entries, whatever the host
// lists; the errors beyond it are asked for on each scrape.
func TestCacheBoundPerTarget(t *testing.T) {
	f := startFleet(t, simulator.FleetOptions{Hosts: 1, Jobs: 30, Seed: 5, Profiles: []string{"hyperv"}})
	h := f.Hosts()[0]
	failed := failedIDs(h, nsHyperV)
	if len(failed) < 3 {
		t.Fatalf("only %d failed jobs", len(failed))
	}
	e := New(simConfig(t, ""), Options{})
	defer e.Close()
	e.pool.maxErrs = 2
	q := "module=hyperv&target=" + hostPort(t, h)
	for i := 1; i <= 3; i++ {
		r := scrape(t, e, q, "")
		if r.count(fleet.MetricFailedJobInfo) != len(failed) {
			t.Fatalf("scrape %d: %d failed-job series, want %d", i, r.count(fleet.MetricFailedJobInfo), len(failed))
		}
		if n := e.pool.entries.Load(); n != 2 {
			t.Errorf("scrape %d: %d cached entries, want the bound, 2", i, n)
		}
		if n, want := errorCalls(h.Server.Stats()), len(failed)+(i-1)*(len(failed)-2); n != want {
			t.Errorf("after %d scrapes: %d error-method calls, want %d", i, n, want)
		}
	}
}

// A cached error's key does not grow with the job's InstanceID or class
// name, which a hostile host makes as long as its replies allow: the
// cache keeps up to maxCachedErrors keys per target between scrapes.
func TestErrKeyBounded(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	p, err := job.LookupProfile("hyperv", "", "")
	if err != nil {
		t.Fatal(err)
	}
	a := job.Ref{Profile: p, InstanceID: long}
	b := job.Ref{Profile: p, InstanceID: long + "y"}
	c := a
	c.Profile.Class = long
	for _, r := range []job.Ref{a, b, c} {
		if n := len(errKey(r)); n > 64 {
			t.Errorf("key of %d bytes", n)
		}
	}
	if errKey(a) == errKey(b) || errKey(a) == errKey(c) {
		t.Error("two jobs share a key")
	}
	// The same InstanceID under two classes is two jobs.
	d := a
	d.Profile.Class = "Msvm_MigrationJob"
	if errKey(a) == errKey(d) {
		t.Error("the same InstanceID under two classes shares a key")
	}
}

// The cached errors of all targets together stay within maxTotal; the
// errors beyond it are asked for again on each scrape.
func TestCacheBoundInTotal(t *testing.T) {
	f := startFleet(t, simulator.FleetOptions{Hosts: 2, Jobs: 30, Seed: 5, Profiles: []string{"hyperv"}})
	e := New(simConfig(t, ""), Options{})
	defer e.Close()
	e.pool.maxTotal = 3
	total := 0
	for _, h := range f.Hosts() {
		total += len(failedIDs(h, nsHyperV))
	}
	if total <= 3 {
		t.Fatalf("only %d failed jobs", total)
	}
	for i := 1; i <= 2; i++ {
		for _, h := range f.Hosts() {
			r := scrape(t, e, "module=hyperv&target="+hostPort(t, h), "")
			if r.count(fleet.MetricFailedJobInfo) != len(failedIDs(h, nsHyperV)) {
				t.Fatalf("scrape %d: %d failed-job series:\n%s", i, r.count(fleet.MetricFailedJobInfo), r.body)
			}
		}
		if n := e.pool.entries.Load(); n != 3 {
			t.Errorf("round %d: %d cached entries, want the bound, 3", i, n)
		}
	}
	calls := 0
	for _, h := range f.Hosts() {
		calls += errorCalls(h.Server.Stats())
	}
	if want := total + (total - 3); calls != want {
		t.Errorf("%d error-method calls over two rounds, want %d", calls, want)
	}
}

// Beyond MaxConcurrentProbes a probe waits for a slot until its deadline,
// then answers timeout without a request to its host; a freed slot lets
// the next one through.
func TestMaxConcurrentProbes(t *testing.T) {
	h := startFleet(t, simulator.FleetOptions{Hosts: 1, Jobs: 5, Seed: 5}).Hosts()[0]
	e := New(simConfig(t, ""), Options{MaxConcurrentProbes: 2})
	defer e.Close()
	q := "module=hyperv&target=" + hostPort(t, h)
	// Two probes under way, as far as the exporter knows.
	e.slots <- struct{}{}
	e.slots <- struct{}{}
	if own := gatherOwn(t, e); !contains(own, MetricProbesInFlight+" 2") {
		t.Errorf("own metrics:\n%s", own)
	}
	r := scrape(t, e, q, "0.6") // a deadline of 0.1 s
	if r.gauge(MetricProbeSuccess) != 0 || r.label(MetricProbeFailureInfo, "reason") != "timeout" {
		t.Fatalf("a probe beyond the cap:\n%s", r.body)
	}
	if n := h.Server.Stats().Requests; n != 0 {
		t.Fatalf("a probe beyond the cap sent %d requests", n)
	}
	<-e.slots
	if r := scrape(t, e, q, ""); r.gauge(MetricProbeSuccess) != 1 {
		t.Fatalf("a probe with a slot free:\n%s", r.body)
	}
	if len(e.slots) != 1 {
		t.Errorf("%d slots taken after the probe, want 1 (the test's)", len(e.slots))
	}
}

// A probe waiting for another probe of its target (two Prometheus
// replicas, or a client of /probe repeating one slow target) holds no
// slot meanwhile: else probes of one hanging host would take every slot
// and time out the probes of all other hosts.
func TestProbeWaitingForItsTargetHoldsNoSlot(t *testing.T) {
	f := startFleet(t, simulator.FleetOptions{Hosts: 2, Jobs: 5, Seed: 5})
	a, b := f.Hosts()[0], f.Hosts()[1]
	e := New(simConfig(t, ""), Options{MaxConcurrentProbes: 2})
	defer e.Close()
	gate := &gateTransport{held: make(chan struct{}), open: make(chan struct{})}
	var once sync.Once
	e.wrap = func(inner wsman.Transport) wsman.Transport {
		wrapped := inner
		once.Do(func() { gate.Transport = inner; wrapped = gate })
		return wrapped
	}
	qa := "module=hyperv&target=" + hostPort(t, a)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(gate.open)
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); scrape(t, e, qa, "") }()
		if i == 0 {
			<-gate.held // the first probe of a is under way, and hangs
		}
	}
	// Until the second probe of a waits for the first.
	for waiting := false; !waiting; runtime.Gosched() {
		e.pool.mu.Lock()
		ta := e.pool.targets[targetKey{module: "hyperv", target: hostPort(t, a)}]
		waiting = ta != nil && ta.users == 2
		e.pool.mu.Unlock()
	}
	r := scrape(t, e, "module=hyperv&target="+hostPort(t, b), "10")
	if r.gauge(MetricProbeSuccess) != 1 {
		t.Errorf("a probe of another host, with one probe under way and the cap at 2:\n%s", r.body)
	}
}
