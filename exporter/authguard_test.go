package exporter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cimjob/cimjob/simulator"
	"github.com/cimjob/cimjob/wsman"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// A host that refuses the password sees the credentials once per
// back-off, not once per probe: 40 probes at one instant send them once,
// and the probes let through after each back-off (2, 4, 8 minutes) once
// each. Held-back probes answer auth at once, log so, and count.
func TestRefusedCredentialsBackOff(t *testing.T) {
	f := startFleet(t, simulator.FleetOptions{Hosts: 1, Jobs: 5, Seed: 5, AuthFail: 1})
	h := f.Hosts()[0]
	var logs bytes.Buffer
	e := New(simConfig(t, ""), Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	defer e.Close()
	clock := newFakeClock()
	e.guard.now = clock.now
	q := "module=hyperv&target=" + hostPort(t, h)

	probes := func(n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			r := scrape(t, e, q, "")
			if r.gauge(MetricProbeSuccess) != 0 || r.label(MetricProbeFailureInfo, "reason") != "auth" {
				t.Fatalf("probe: %s", r.body)
			}
		}
	}
	refusals := func() int { return h.Server.Stats().HandshakesFailed }

	probes(40)
	if n := refusals(); n != 1 {
		t.Fatalf("40 probes of a host that refuses the password: %d refused logons, want 1", n)
	}
	if !contains(logs.String(), "probe held back") || !contains(logs.String(), "until=2026-01-01T00:02:00") {
		t.Errorf("no debug line saying the probe was held back until 00:02:\n%s", logs.String())
	}
	// Each back-off lets one probe through, then doubles.
	want := 1
	for _, backoff := range []time.Duration{2 * time.Minute, 4 * time.Minute, 8 * time.Minute} {
		clock.advance(backoff - time.Second)
		probes(5)
		if n := refusals(); n != want {
			t.Fatalf("a second before the %v back-off ends: %d refused logons, want %d", backoff, n, want)
		}
		clock.advance(time.Second)
		probes(10)
		want++
		if n := refusals(); n != want {
			t.Fatalf("after the %v back-off: %d refused logons, want %d", backoff, n, want)
		}
	}
	own := gatherOwn(t, e)
	for _, s := range []string{
		`cimjob_exporter_auth_backoffs_total{module="hyperv"} 4`,
		`cimjob_exporter_auth_held_back{module="hyperv"} 1`,
		`cimjob_exporter_probe_failures_total{module="hyperv",reason="auth"} 85`,
	} {
		if !contains(own, s) {
			t.Errorf("own metrics lack %s:\n%s", s, own)
		}
	}
}

// The back-off grows to authBackoffMax and stays there.
func TestAuthBackoffBounds(t *testing.T) {
	for level, want := range map[int]time.Duration{1: 2 * time.Minute, 2: 4 * time.Minute, 4: 16 * time.Minute, 5: 30 * time.Minute, 40: 30 * time.Minute} {
		if got := authBackoff(level); got != want {
			t.Errorf("authBackoff(%d) = %v, want %v", level, got, want)
		}
	}
}

// A reload with the right password probes at once, without waiting for
// the back-off of the wrong one.
func TestReloadEndsAuthBackoff(t *testing.T) {
	f := startFleet(t, simulator.FleetOptions{Hosts: 1, Jobs: 5, Seed: 5})
	h := f.Hosts()[0]
	const y = "modules:\n  hyperv:\n    username: demo\n    password_env: CIMJOB_PW\n"
	wrong, err := ParseConfig([]byte(y), t.TempDir(), env(map[string]string{"CIMJOB_PW": "wrong"}))
	if err != nil {
		t.Fatal(err)
	}
	e := New(wrong, Options{})
	defer e.Close()
	e.guard.now = newFakeClock().now
	q := "module=hyperv&target=" + hostPort(t, h)
	for i := 0; i < 10; i++ {
		scrape(t, e, q, "")
	}
	if n := h.Server.Stats().HandshakesFailed; n != 1 {
		t.Fatalf("10 probes with the wrong password: %d refused logons, want 1", n)
	}
	e.SetConfig(simConfig(t, ""))
	if r := scrape(t, e, q, ""); r.gauge(MetricProbeSuccess) != 1 {
		t.Fatalf("the first probe after a reload with the right password failed:\n%s", r.body)
	}
	if own := gatherOwn(t, e); !contains(own, `cimjob_exporter_auth_held_back{module="hyperv"} 0`) {
		t.Errorf("module still held back after the reload:\n%s", own)
	}
}

// One host refusing a password that another accepts, before any host
// accepted it, holds back the module until its half-open probe reaches
// the host that accepts; then only the refusing host stays held back,
// and the others are probed.
func TestRefusingTargetHeldBackAlone(t *testing.T) {
	bad := startFleet(t, simulator.FleetOptions{Hosts: 1, Jobs: 5, Seed: 5, AuthFail: 1}).Hosts()[0]
	good := startFleet(t, simulator.FleetOptions{Hosts: 1, Jobs: 5, Seed: 5}).Hosts()[0]
	e := New(simConfig(t, ""), Options{})
	defer e.Close()
	clock := newFakeClock()
	e.guard.now = clock.now
	qBad, qGood := "module=hyperv&target="+hostPort(t, bad), "module=hyperv&target="+hostPort(t, good)
	success := func(q string) float64 { return scrape(t, e, q, "").gauge(MetricProbeSuccess) }

	if success(qBad) != 0 {
		t.Fatal("the refusing host's probe succeeded")
	}
	// Nothing accepted the credentials yet: the whole module is held back.
	if success(qGood) != 0 || good.Server.Stats().Requests != 0 {
		t.Fatalf("the good host was probed while the module was held back (%d requests)", good.Server.Stats().Requests)
	}
	clock.advance(authBackoffMin)
	// The half-open probe reaches the good host, which accepts.
	if success(qGood) != 1 {
		t.Fatal("the half-open probe of the good host failed")
	}
	for i := 0; i < 5; i++ {
		if success(qGood) != 1 || success(qBad) != 0 {
			t.Fatal("after the good host accepted the credentials")
		}
	}
	if n := bad.Server.Stats().HandshakesFailed; n != 1 {
		t.Errorf("the refusing host saw %d refused logons, want 1", n)
	}
	if own := gatherOwn(t, e); !contains(own, `cimjob_exporter_auth_held_back_targets{module="hyperv"} 1`) || !contains(own, `cimjob_exporter_auth_held_back{module="hyperv"} 0`) {
		t.Errorf("own metrics:\n%s", own)
	}
	// The refusing host's own back-off then lets one probe through.
	clock.advance(authBackoffMin)
	success(qBad)
	success(qBad)
	if n := bad.Server.Stats().HandshakesFailed; n != 2 {
		t.Errorf("after its own back-off the refusing host saw %d refused logons, want 2", n)
	}
	if success(qGood) != 1 {
		t.Error("the good host held back by the other's refusal")
	}
}

// A host that refuses right after another accepted a logon is held back
// alone, without holding back the module; a second refusing host before
// the next accepted logon holds the module back.
func TestRefusalAfterAcceptedLogon(t *testing.T) {
	good := startFleet(t, simulator.FleetOptions{Hosts: 1, Jobs: 5, Seed: 5}).Hosts()[0]
	bad := startFleet(t, simulator.FleetOptions{Hosts: 2, Jobs: 5, Seed: 5, AuthFail: 1}).Hosts()
	e := New(simConfig(t, ""), Options{})
	defer e.Close()
	e.guard.now = newFakeClock().now
	q := func(h simulator.HostInfo) string { return "module=hyperv&target=" + hostPort(t, h) }
	success := func(h simulator.HostInfo) float64 { return scrape(t, e, q(h), "").gauge(MetricProbeSuccess) }

	if success(good) != 1 {
		t.Fatal("the good host's first probe failed")
	}
	for i := 0; i < 5; i++ {
		if success(bad[0]) != 0 || success(good) != 1 {
			t.Fatal("after one host refused what another accepted, the module was held back")
		}
	}
	if n := bad[0].Server.Stats().HandshakesFailed; n != 1 {
		t.Errorf("the refusing host saw %d refused logons, want 1", n)
	}
	// The good host's probes since reused its logon: a second refusal
	// holds the module back.
	success(bad[1])
	before := good.Server.Stats().Requests
	if success(good) != 0 || good.Server.Stats().Requests != before {
		t.Error("a second refusing host did not hold the module back")
	}
	if n := bad[1].Server.Stats().HandshakesFailed; n != 1 {
		t.Errorf("the second refusing host saw %d refused logons, want 1", n)
	}
}

// Only refused credentials trip the guard: access denied (the logon
// succeeded), an unreachable KDC and timeouts do not.
func TestRefusedCredentials(t *testing.T) {
	u := "http://h:5985/wsman"
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"401", &wsman.AuthError{URL: u, Scheme: "Negotiate"}, true},
		{"kdc refused", fmt.Errorf("probe: %w", &wsman.AuthError{URL: u, Scheme: "Kerberos", Err: errors.New("KDC_ERR_PREAUTH_FAILED")}), true},
		{"access denied", fmt.Errorf("listing: %w", wsman.ErrAccessDenied), false},
		{"kdc unreachable", &wsman.TransportError{Op: wsman.OpKDC, URL: u, Err: errors.New("connection refused")}, false},
		{"deadline", &wsman.AuthError{URL: u, Scheme: "Negotiate", Err: context.DeadlineExceeded}, false},
		{"none", nil, false},
	} {
		if got := refusedCredentials(tc.err); got != tc.want {
			t.Errorf("%s: refusedCredentials = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// errRefused is a host refusing the credentials.
var errRefused = &wsman.AuthError{URL: "http://h/wsman", Scheme: "Negotiate"}

// testGuard is a guard on a clock the test moves.
func testGuard() (*authGuard, *fakeClock) {
	g, clock := newAuthGuard(newOwnMetrics()), newFakeClock()
	g.now = clock.now
	return g, clock
}

// Probes in flight when the guard trips do not lengthen its back-off:
// each refusal counts once, for the state it was admitted under.
func TestConcurrentRefusalsTripOnce(t *testing.T) {
	g, clock := testGuard()
	var fp [32]byte
	var tks []guardTicket
	for i := 0; i < 5; i++ {
		tk, err := g.admit("m", fmt.Sprint("h", i), fp)
		if err != nil {
			t.Fatal(err)
		}
		tks = append(tks, tk)
	}
	for _, tk := range tks {
		g.report(tk, errRefused, true)
	}
	_, err := g.admit("m", "h9", fp)
	var he *heldBackError
	if !errors.As(err, &he) || !he.until.Equal(clock.now().Add(authBackoffMin)) {
		t.Fatalf("after 5 refusals in flight together: %v, want held back for %v", err, authBackoffMin)
	}
	if s := strings.TrimSpace(he.Error()); !strings.Contains(s, "2026-01-01T00:02:00Z") {
		t.Errorf("error %q does not say until when", s)
	}
}

// One probe per back-off goes through (half-open), and while it is under
// way the others are held back; its success on the target that tripped
// the guard closes it for every target, with nothing held back alone.
func TestHalfOpenSuccessCloses(t *testing.T) {
	g, clock := testGuard()
	var fp [32]byte
	tk, _ := g.admit("m", "a", fp)
	g.report(tk, errRefused, true)
	clock.advance(authBackoffMin)
	probe, err := g.admit("m", "a", fp)
	if err != nil || probe.halfOpen != halfOpenModule {
		t.Fatalf("after the back-off: %v, half-open %d", err, probe.halfOpen)
	}
	if _, err := g.admit("m", "b", fp); err == nil {
		t.Fatal("a second probe went through beside the half-open one")
	}
	// A failure that says nothing of the credentials lets the next try.
	g.report(probe, context.DeadlineExceeded, true)
	probe, err = g.admit("m", "a", fp)
	if err != nil || probe.halfOpen != halfOpenModule {
		t.Fatalf("after a half-open timeout: %v, half-open %d", err, probe.halfOpen)
	}
	g.report(probe, nil, true)
	for _, target := range []string{"a", "b"} {
		if tk, err := g.admit("m", target, fp); err != nil || tk.halfOpen != halfOpenNone {
			t.Errorf("%s after the half-open success: %v, half-open %d", target, err, tk.halfOpen)
		}
	}
	if held, n := g.held("m"); held || n != 0 {
		t.Errorf("held %v, %d targets alone; want neither", held, n)
	}
}

// A refusing host held back alone stays so under another spelling of
// the same service (host:port, its URL): else whoever may call /probe,
// or a scrape config listing a host twice, turns one refusing host into
// the second refusal that holds back the whole module.
func TestRefusingTargetHeldBackUnderAnySpelling(t *testing.T) {
	good := startFleet(t, simulator.FleetOptions{Hosts: 1, Jobs: 5, Seed: 5}).Hosts()[0]
	bad := startFleet(t, simulator.FleetOptions{Hosts: 1, Jobs: 5, Seed: 5, AuthFail: 1}).Hosts()[0]
	e := New(simConfig(t, ""), Options{})
	defer e.Close()
	e.guard.now = newFakeClock().now
	success := func(target string) float64 {
		return scrape(t, e, "module=hyperv&target="+target, "").gauge(MetricProbeSuccess)
	}
	if success(hostPort(t, good)) != 1 {
		t.Fatal("the good host's first probe failed")
	}
	success(hostPort(t, bad))
	success("http://" + hostPort(t, bad) + "/wsman")
	if n := bad.Server.Stats().HandshakesFailed; n != 1 {
		t.Errorf("the refusing host, under two spellings, saw %d refused logons, want 1", n)
	}
	if success(hostPort(t, good)) != 1 {
		t.Error("the refusing host under a second spelling held back the module")
	}
}

// A target held back alone counts in the gauge while it is held back: once
// its back-off has ended its next probe goes through, so a host refused
// once and then no longer probed (gone from the scrape config) does not
// count for ever.
func TestHeldTargetsGaugeEndsWithBackoff(t *testing.T) {
	g, clock := testGuard()
	var fp [32]byte
	ok, _ := g.admit("m", "good", fp)
	g.report(ok, nil, true)
	bad, _ := g.admit("m", "bad", fp)
	g.report(bad, errRefused, true)
	if held, n := g.held("m"); held || n != 1 {
		t.Fatalf("after one refusal beside an accepted logon: held %v, %d alone; want false, 1", held, n)
	}
	clock.advance(authBackoffMin)
	if _, n := g.held("m"); n != 0 {
		t.Errorf("after its back-off, with no probe since: %d targets held back alone, want 0", n)
	}
}
