package exporter

import (
	"context"
	"errors"
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
// failed; a failed error method leaves the host answered.
func (e *Exporter) probe(ctx context.Context, name string, m *Module, target, url string) *probeResult {
	start := time.Now()
	res := &probeResult{host: &fleet.HostResult{Host: target, URL: url, Start: start}}
	err := e.probeTarget(ctx, name, m, res.host)
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

func (e *Exporter) probeTarget(ctx context.Context, name string, m *Module, h *fleet.HostResult) error {
	t := e.pool.acquire(targetKey{module: name, target: h.Host}, m.r.fingerprint)
	defer e.pool.release(t)
	if err := t.lock(ctx); err != nil {
		return err
	}
	defer t.unlock()
	if t.client == nil {
		cfg := e.clientConfig(m, h.URL)
		if e.wrap != nil {
			tr, err := wsman.NewTransport(cfg)
			if err != nil {
				return err
			}
			cfg.Transport = e.wrap(tr)
		}
		c, err := wsman.NewClient(cfg)
		if err != nil {
			return err
		}
		t.client = c
	}
	r := m.r
	listed, err := job.List(ctx, t.client, r.profile, job.ListOptions{Which: job.All, Policy: r.policy, BatchSize: m.BatchSize})
	if err != nil {
		return err
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
				if len(t.errs) < e.pool.maxErrs {
					t.errs[k] = fj.Result
					e.pool.entries.Add(1)
				}
			}
		}
		h.FailedJobs = append(h.FailedJobs, fj)
	}
	return nil
}

// errKey names a job in a target's cache: its class (a subclass lists
// under its own) and InstanceID.
func errKey(ref job.Ref) string {
	return ref.Profile.Namespace + ":" + ref.Profile.Class + "\x00" + ref.InstanceID
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
