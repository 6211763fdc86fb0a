package exporter

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/cimjob/cimjob/simulator"
	"github.com/cimjob/cimjob/wsman"
)

// closeCounter wraps every client's transport and counts the closes.
type closeCounter struct {
	mu     sync.Mutex
	closed int
}

func (c *closeCounter) wrap(inner wsman.Transport) wsman.Transport {
	return &editTransport{Transport: inner, closed: &c.closed, closeMu: &c.mu}
}

func (c *closeCounter) n() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// evictions reads the eviction counter of a reason.
func evictions(e *Exporter, reason string) int {
	var m dto.Metric
	if err := e.metrics.evictions.WithLabelValues(reason).Write(&m); err != nil {
		panic(err)
	}
	return int(m.GetCounter().GetValue())
}

// Beyond MaxTargets the least recently probed target is closed and
// forgotten; a target idle for longer than TargetIdle too.
func TestEviction(t *testing.T) {
	f := startFleet(t, simulator.FleetOptions{Hosts: 3, Jobs: 5, Seed: 5})
	hosts := f.Hosts()
	e := New(simConfig(t, ""), Options{MaxTargets: 2, TargetIdle: time.Minute})
	defer e.Close()
	var cc closeCounter
	e.wrap = cc.wrap
	now := time.Unix(1_800_000_000, 0)
	e.pool.now = func() time.Time { return now }

	for _, h := range hosts {
		if r := scrape(t, e, "target="+hostPort(t, h), ""); r.gauge(MetricProbeSuccess) != 1 {
			t.Fatalf("%s: probe failed:\n%s", h.Name, r.body)
		}
	}
	if n := e.pool.len(); n != 2 {
		t.Errorf("%d kept targets, want 2", n)
	}
	if evictions(e, evictCapacity) != 1 || cc.n() != 1 {
		t.Errorf("capacity: %d evictions, %d clients closed; want 1, 1", evictions(e, evictCapacity), cc.n())
	}
	// The evicted one (the first) starts afresh: a new handshake.
	hs := hosts[0].Server.Stats().Handshakes
	scrape(t, e, "target="+hostPort(t, hosts[0]), "")
	if hosts[0].Server.Stats().Handshakes != hs+1 {
		t.Errorf("a probe of an evicted target made no new handshake")
	}

	// Idle: collecting the own metrics sweeps.
	now = now.Add(2 * time.Minute)
	got := gatherOwn(t, e)
	if n := e.pool.len(); n != 0 || !strings.Contains(got, MetricTargets+" 0") {
		t.Errorf("%d kept targets after the idle time, want 0; metrics:\n%s", n, got)
	}
	if evictions(e, evictIdle) != 2 || cc.n() != 4 {
		t.Errorf("idle: %d evictions, %d clients closed in all; want 2, 4", evictions(e, evictIdle), cc.n())
	}
}

// SetConfig drops the targets of a module that changed or went, and keeps
// those of an unchanged one (parsed anew from the same text).
func TestSetConfig(t *testing.T) {
	f := startFleet(t, simulator.FleetOptions{Hosts: 1, Jobs: 5, Seed: 5})
	h := f.Hosts()[0]
	e := New(simConfig(t, ""), Options{})
	defer e.Close()
	var cc closeCounter
	e.wrap = cc.wrap
	q := "module=hyperv&target=" + hostPort(t, h)
	scrape(t, e, q, "")

	e.SetConfig(simConfig(t, ""))
	if e.pool.len() != 1 || cc.n() != 0 {
		t.Fatalf("unchanged module: %d kept targets, %d closed; want 1, 0", e.pool.len(), cc.n())
	}
	before := h.Server.Stats()
	scrape(t, e, q, "")
	if after := h.Server.Stats(); after.Requests-before.Requests != 1 {
		t.Errorf("after an unchanged reload: %d requests, want 1", after.Requests-before.Requests)
	}

	e.SetConfig(simConfig(t, "    timeout: 20s\n"))
	if e.pool.len() != 0 || cc.n() != 1 || evictions(e, evictReload) != 1 {
		t.Errorf("changed module: %d kept targets, %d closed, %d reload evictions; want 0, 1, 1", e.pool.len(), cc.n(), evictions(e, evictReload))
	}
	scrape(t, e, q, "")
	// A changed password is a changed module, though the text is the same.
	cfg, err := ParseConfig([]byte("modules:\n  hyperv:\n    username: demo\n    password_env: CIMJOB_PW\n    timeout: 20s\n"), "",
		env(map[string]string{"CIMJOB_PW": "another"}))
	if err != nil {
		t.Fatal(err)
	}
	e.SetConfig(cfg)
	if e.pool.len() != 0 {
		t.Errorf("a changed password kept the target")
	}
}

// gateTransport holds its first request until open is closed, telling
// held when it waits.
type gateTransport struct {
	wsman.Transport
	once       sync.Once
	held, open chan struct{}
}

func (g *gateTransport) RoundTrip(ctx context.Context, env []byte) (*wsman.Reply, error) {
	first := false
	g.once.Do(func() { first = true })
	if first {
		close(g.held)
		<-g.open
	}
	return g.Transport.RoundTrip(ctx, env)
}

// A target in use is not evicted for capacity: another scraper's probe of
// it waits for the first rather than running beside it on a new client,
// so even a pool too small for the fleet never doubles a GetError (two
// Prometheus replicas scrape the same targets at about the same time).
func TestCapacityKeepsTargetsInUse(t *testing.T) {
	f := startFleet(t, simulator.FleetOptions{Hosts: 2, Jobs: 30, Seed: 5, Profiles: []string{"hyperv"}})
	a, b := f.Hosts()[0], f.Hosts()[1]
	failed := failedIDs(a, nsHyperV)
	if len(failed) == 0 {
		t.Fatal("no failed job on the first host")
	}
	e := New(simConfig(t, ""), Options{MaxTargets: 1})
	defer e.Close()
	gate := &gateTransport{held: make(chan struct{}), open: make(chan struct{})}
	var mu sync.Mutex
	clients := 0
	e.wrap = func(inner wsman.Transport) wsman.Transport {
		mu.Lock()
		defer mu.Unlock()
		clients++
		if clients == 1 {
			gate.Transport = inner
			return gate
		}
		return inner
	}
	qa := "target=" + hostPort(t, a)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); scrape(t, e, qa, "") }()
	<-gate.held // the first probe of a holds its target
	if r := scrape(t, e, "target="+hostPort(t, b), ""); r.gauge(MetricProbeSuccess) != 1 {
		t.Fatalf("probe of b:\n%s", r.body)
	}
	second := make(chan struct{})
	go func() { defer close(second); scrape(t, e, qa, "") }()
	// Until the second probe of a either waits for the first (two users
	// of one target) or, on a client of its own, is done.
	for waiting := false; !waiting; {
		select {
		case <-second:
			waiting = true
		default:
			e.pool.mu.Lock()
			if ta := e.pool.targets[targetKey{module: "hyperv", target: hostPort(t, a)}]; ta != nil && ta.users == 2 {
				waiting = true
			}
			e.pool.mu.Unlock()
			runtime.Gosched()
		}
	}
	close(gate.open)
	wg.Wait()
	<-second
	if n := errorCalls(a.Server.Stats()); n != len(failed) {
		t.Errorf("%d error-method calls for %d failed jobs, want one each", n, len(failed))
	}
	mu.Lock()
	defer mu.Unlock()
	if clients != 2 {
		t.Errorf("%d clients made, want 2 (one per host)", clients)
	}
}

// TestSweepIdleEnd: the sweep walks the list from its idle end and stops
// at the first target used since the cutoff. A target held by a long
// probe stays at that end; the idle one in front of it must still go,
// and the recent ones stay.
func TestSweepIdleEnd(t *testing.T) {
	now := time.Unix(1e9, 0)
	p := newPool(10, time.Minute, newOwnMetrics())
	p.now = func() time.Time { return now }
	fp := [32]byte{}
	long := p.acquire(targetKey{"m", "long"}, fp) // in use throughout
	idle := p.acquire(targetKey{"m", "idle"}, fp)
	p.release(idle)
	now = now.Add(2 * time.Minute)
	recent := p.acquire(targetKey{"m", "recent"}, fp)
	p.release(recent)
	p.sweep()
	p.mu.Lock()
	_, longKept := p.targets[long.key]
	_, idleKept := p.targets[idle.key]
	_, recentKept := p.targets[recent.key]
	p.mu.Unlock()
	if !longKept || idleKept || !recentKept {
		t.Errorf("after the sweep: in use kept %v, idle kept %v, recent kept %v; want true, false, true", longKept, idleKept, recentKept)
	}
	p.release(long)
}
