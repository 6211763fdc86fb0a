package exporter

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/fleet"
	"github.com/cimjob/cimjob/wsman"
)

// The families a probe adds to fleet's (its /probe response).
const (
	// MetricProbeSuccess is 1 when the host answered the listing, else 0.
	MetricProbeSuccess = "cimjob_probe_success"
	// MetricProbeDuration is how long the probe took, in seconds.
	MetricProbeDuration = "cimjob_probe_duration_seconds"
	// MetricProbeFailureInfo is 1, with the failure's reason, when the
	// probe failed; absent otherwise.
	MetricProbeFailureInfo = "cimjob_probe_failure_info"
)

var (
	descProbeSuccess = prometheus.NewDesc(MetricProbeSuccess,
		"1 if the host answered the listing of its jobs, else 0.", nil, nil)
	descProbeDuration = prometheus.NewDesc(MetricProbeDuration,
		"How long the probe took, in seconds.", nil, nil)
	descProbeFailureInfo = prometheus.NewDesc(MetricProbeFailureInfo,
		"1 when the probe failed, with why: auth, timeout, transport, tls, fault or protocol.", []string{"reason"}, nil)
)

// errDeferred marks a failed job whose errors this probe did not ask for,
// having called its error method max_failed_jobs times already; a later
// scrape asks.
var errDeferred = errors.New("error method not called in this probe (max_failed_jobs reached); a later probe calls it")

// probeResult is what a probe found: the host's result and, when the
// listing failed, why.
type probeResult struct {
	host   *fleet.HostResult
	reason Reason
	// held is set when the auth guard held the probe back.
	held *heldBackError
}

// Describe implements prometheus.Collector.
func (r *probeResult) Describe(ch chan<- *prometheus.Desc) {
	ch <- descProbeSuccess
	ch <- descProbeDuration
	ch <- descProbeFailureInfo
}

// Collect implements prometheus.Collector.
func (r *probeResult) Collect(ch chan<- prometheus.Metric) {
	success := 1.0
	if r.reason != "" {
		success = 0
		ch <- prometheus.MustNewConstMetric(descProbeFailureInfo, prometheus.GaugeValue, 1, string(r.reason))
	}
	ch <- prometheus.MustNewConstMetric(descProbeSuccess, prometheus.GaugeValue, success)
	ch <- prometheus.MustNewConstMetric(descProbeDuration, prometheus.GaugeValue, r.host.Duration.Seconds())
}

// probe lists every job of the target, under module m (named name), and
// gets the errors of the failed ones from the target's cache or, on a
// miss, from the host. The host's result is Unreachable when the listing
// failed; a failed error method leaves the host answered. A probe the
// auth guard holds back fails at once (auth) without a connection.
func (e *Exporter) probe(ctx context.Context, name string, m *Module, target, url string) *probeResult {
	start := time.Now()
	res := &probeResult{host: &fleet.HostResult{Host: target, URL: url, Start: start}}
	// The guard knows a target by its service URL, whatever its spelling.
	tk, err := e.guard.admit(name, url, m.r.fingerprint)
	logon := false
	if err != nil {
		res.held = err.(*heldBackError)
		res.host.Duration = time.Since(start)
		res.host.Status, res.host.Err, res.reason = fleet.Unreachable, err, ReasonAuth
		return res
	}
	err = e.probeTarget(ctx, name, m, res.host, tk.halfOpen != halfOpenNone, &logon)
	e.guard.report(tk, err, logon)
	res.host.Duration = time.Since(start)
	if err != nil {
		res.host.Status, res.host.Err = fleet.Unreachable, err
		res.reason = Classify(err)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			// Whatever was under way when time ran out failed for it.
			res.reason = ReasonTimeout
		}
	} else if len(res.host.FailedJobs) > 0 {
		res.host.Status = fleet.Failed
	} else {
		res.host.Status = fleet.Healthy
	}
	return res
}

// acquireSlot waits for one of the MaxConcurrentProbes slots, until ctx
// ends; the caller gives it back.
func (e *Exporter) acquireSlot(ctx context.Context) error {
	select {
	case e.slots <- struct{}{}:
		return nil
	default:
	}
	select {
	case e.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("no probe slot freed before the deadline: %d probes under way (the exporter's max concurrent probes): %w", cap(e.slots), ctx.Err())
	}
}

// probeTarget is the probe's traffic. fresh drops the target's kept
// client first, so that the probe logs in anew: the auth guard's
// half-open probe must test the credentials, not a connection they
// authenticated before they were refused elsewhere. *logon is set when
// the probe made a new client, which logs in (the guard learns from its
// success that the credentials work).
func (e *Exporter) probeTarget(ctx context.Context, name string, m *Module, h *fleet.HostResult, fresh bool, logon *bool) error {
	t := e.pool.acquire(targetKey{module: name, target: h.Host}, m.r.fingerprint)
	defer e.pool.release(t)
	if err := t.lock(ctx); err != nil {
		return err
	}
	defer t.unlock()
	// The slot is taken once the target is this probe's: a probe waiting
	// for another of the same target must not hold one, or probes of one
	// hanging host would take them all.
	if err := e.acquireSlot(ctx); err != nil {
		return err
	}
	defer func() { <-e.slots }()
	if fresh && t.client != nil {
		_ = t.client.Close()
		t.client = nil
	}
	if t.client == nil {
		cfg := e.clientConfig(m, h.URL)
		tr, err := wsman.NewTransport(cfg)
		if err != nil {
			return err
		}
		var bt wsman.Transport = budgetTransport{tr}
		if e.wrap != nil {
			bt = e.wrap(bt)
		}
		cfg.Transport = bt
		c, err := wsman.NewClient(cfg)
		if err != nil {
			_ = bt.Close()
			return err
		}
		t.client = c
		*logon = true
	}
	r := m.r
	ctx = withBudget(ctx, e.probeBytes(m))
	listed, err := job.List(ctx, t.client, r.profile, job.ListOptions{Which: job.All, Policy: r.policy, BatchSize: m.BatchSize})
	if err != nil {
		return err
	}
	if max := e.listedJobs(); len(listed) > max {
		return fmt.Errorf("the host listed %d jobs, more than the %d a probe takes: %w", len(listed), max, cim.ErrTooLarge)
	}
	h.Jobs = listed

	// Cached errors of jobs no longer listed are forgotten; the rest stay.
	present := make(map[string]bool, len(listed))
	for i := range listed {
		present[errKey(listed[i].Ref)] = true
	}
	for k := range t.errs {
		if !present[k] {
			delete(t.errs, k)
			e.pool.entries.Add(-1)
		}
	}

	calls := 0
	for _, l := range listed {
		if !r.policy.Failed(l.Properties) {
			continue
		}
		fj := fleet.FailedJob{Listed: l}
		k := errKey(l.Ref)
		if cached, ok := t.errs[k]; ok {
			e.metrics.cacheRequests.WithLabelValues("hit").Inc()
			fj.Result = cached
		} else if calls >= r.maxFailed || ctx.Err() != nil {
			fj.Err = errDeferred
		} else {
			e.metrics.cacheRequests.WithLabelValues("miss").Inc()
			calls++
			got, err := job.GetErrors(ctx, t.client, l.Ref, job.Options{SkipJob: true, Method: r.method})
			switch {
			case errors.Is(err, wsman.ErrNotFound):
				fj.Vanished = true
			case err != nil:
				fj.Err = err
			default:
				fj.Result = fleet.CompactResult(got)
				if len(t.errs) < e.pool.maxErrs && e.pool.reserveEntry() {
					t.errs[k] = fj.Result
				}
			}
		}
		h.FailedJobs = append(h.FailedJobs, fj)
	}
	return nil
}

// errKey names a job in a target's cache: its class (a subclass lists
// under its own) and InstanceID, hashed, since a hostile host makes both
// as long as its replies allow and the cache keeps its keys between
// scrapes.
func errKey(ref job.Ref) string {
	h := sha256.New()
	for _, s := range []string{ref.Profile.Namespace, ref.Profile.Class, ref.InstanceID} {
		fmt.Fprintf(h, "%d:%s", len(s), s)
	}
	return string(h.Sum(nil))
}

// clientConfig is the client of module m for the service at url.
func (e *Exporter) clientConfig(m *Module, url string) wsman.Config {
	return wsman.Config{
		URL:              url,
		Auth:             m.r.auth,
		AllowUnencrypted: m.AllowUnencrypted,
		TLSConfig:        m.r.tls,
		Limits:           cim.Limits{MaxBytes: m.r.maxBytes},
		UserAgent:        e.opt.UserAgent,
		// Probes of a target are serialised: one connection serves them.
		MaxConns: 1,
		// Kept across a scrape interval of a minute, which
		// wsman.DefaultIdleTimeout is not, yet closed before Windows
		// drops it (see there).
		IdleTimeout: connIdle,
	}
}

// connIdle is how long a target's connection may sit idle between
// scrapes and still be used.
const connIdle = 100 * time.Second

// Bounds of one probe, whatever the host sends. A host may list its jobs
// in wsman.DefaultMaxPulls replies of max_response_bytes each: without
// them one probe of a hostile host held a gigabyte before its deadline,
// and its answer had a series per listed job.
const (
	// probeReplies is the reply bytes one probe reads at most, in replies
	// of max_response_bytes: 64 MiB by default, some 20000 Hyper-V jobs of
	// about 3 KB (a hostile host's small items make the heap peak about
	// 300 MB).
	probeReplies = 8
	// defaultMaxListedJobs bounds the jobs of one listing; a host that
	// lists more fails the probe (protocol).
	defaultMaxListedJobs = 20000
)

// probeBytes is the reply budget of a probe under module m.
func (e *Exporter) probeBytes(m *Module) int64 {
	if e.maxProbeBytes > 0 {
		return e.maxProbeBytes
	}
	return probeReplies * m.r.maxBytes
}

func (e *Exporter) listedJobs() int {
	if e.maxListedJobs > 0 {
		return e.maxListedJobs
	}
	return defaultMaxListedJobs
}

// budgetKey is the context key of a probe's *budget.
type budgetKey struct{}

// budget is what is left of a probe's reply bytes.
type budget struct{ left atomic.Int64 }

func withBudget(ctx context.Context, n int64) context.Context {
	b := new(budget)
	b.left.Store(n)
	return context.WithValue(ctx, budgetKey{}, b)
}

// budgetTransport charges each reply to the budget of the probe under
// way (its context's) and fails the request that exhausts it.
type budgetTransport struct{ wsman.Transport }

func (t budgetTransport) RoundTrip(ctx context.Context, env []byte) (*wsman.Reply, error) {
	r, err := t.Transport.RoundTrip(ctx, env)
	b, _ := ctx.Value(budgetKey{}).(*budget)
	if b == nil || r == nil {
		return r, err
	}
	if b.left.Add(-int64(len(r.Body))) < 0 {
		return nil, fmt.Errorf("the host's replies to one probe passed its budget of %d replies of max_response_bytes: %w", probeReplies, cim.ErrTooLarge)
	}
	return r, err
}
