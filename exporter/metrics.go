package exporter

import "github.com/prometheus/client_golang/prometheus"

// The exporter's own metric families (for its /metrics). None has a
// target label: targets are unbounded, modules are bounded by the config.
const (
	MetricProbes                = "cimjob_exporter_probes_total"
	MetricProbeFailures         = "cimjob_exporter_probe_failures_total"
	MetricExporterProbeDuration = "cimjob_exporter_probe_duration_seconds"
	MetricTargets               = "cimjob_exporter_targets"
	MetricErrorCacheEntries     = "cimjob_exporter_error_cache_entries"
	MetricErrorCacheRequests    = "cimjob_exporter_error_cache_requests_total"
	MetricTargetEvictions       = "cimjob_exporter_target_evictions_total"
	MetricAuthBackoffs          = "cimjob_exporter_auth_backoffs_total"
	MetricAuthHeldBack          = "cimjob_exporter_auth_held_back"
	MetricAuthHeldBackTargets   = "cimjob_exporter_auth_held_back_targets"
	MetricProbesInFlight        = "cimjob_exporter_probes_in_flight"
)

// ownMetrics are the exporter's own metrics.
type ownMetrics struct {
	probes        *prometheus.CounterVec
	failures      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	cacheRequests *prometheus.CounterVec
	evictions     *prometheus.CounterVec
	authBackoffs  *prometheus.CounterVec
	targets       *prometheus.Desc
	cacheEntries  *prometheus.Desc
	heldBack      *prometheus.Desc
	heldTargets   *prometheus.Desc
	inFlight      *prometheus.Desc
}

func newOwnMetrics() *ownMetrics {
	return &ownMetrics{
		probes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricProbes,
			Help: "Probes by module and result (success: the host answered the listing)."}, []string{"module", "result"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricProbeFailures,
			Help: "Failed probes by module and reason (auth, timeout, transport, tls, fault, protocol)."}, []string{"module", "reason"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: MetricExporterProbeDuration,
			Help:    "How long probes took, in seconds.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}}, []string{"module"}),
		cacheRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricErrorCacheRequests,
			Help: "Lookups of a failed job's errors in the cache, by result (hit, miss)."}, []string{"result"}),
		evictions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricTargetEvictions,
			Help: "Kept targets closed and forgotten, by reason (capacity, idle, reload)."}, []string{"reason"}),
		authBackoffs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricAuthBackoffs,
			Help: "Back-offs begun or lengthened because a host refused the module's credentials (sent no more until they end)."}, []string{"module"}),
		heldBack: prometheus.NewDesc(MetricAuthHeldBack,
			"1 while the module's credentials are held back from every target after a refusal, else 0.", []string{"module"}, nil),
		heldTargets: prometheus.NewDesc(MetricAuthHeldBackTargets,
			"Targets the module's credentials are held back from on their own, having refused them while other hosts accept them.", []string{"module"}, nil),
		inFlight: prometheus.NewDesc(MetricProbesInFlight,
			"Probes under way (at most the exporter's max concurrent probes; more wait).", nil, nil),
		targets: prometheus.NewDesc(MetricTargets,
			"Targets kept between scrapes (a client and the errors of its failed jobs each).", nil, nil),
		cacheEntries: prometheus.NewDesc(MetricErrorCacheEntries,
			"Failed jobs whose errors are cached, over all kept targets.", nil, nil),
	}
}

// vecs are the metric vectors of m, which Describe and Collect pass on
// whole; the gauges beside them are computed at each Collect.
func (m *ownMetrics) vecs() []prometheus.Collector {
	return []prometheus.Collector{m.probes, m.failures, m.duration, m.cacheRequests, m.evictions, m.authBackoffs}
}

// Describe implements prometheus.Collector: the exporter's own metrics.
func (e *Exporter) Describe(ch chan<- *prometheus.Desc) {
	m := e.metrics
	for _, c := range m.vecs() {
		c.Describe(ch)
	}
	ch <- m.targets
	ch <- m.cacheEntries
	ch <- m.heldBack
	ch <- m.heldTargets
	ch <- m.inFlight
}

// Collect implements prometheus.Collector: the exporter's own metrics.
func (e *Exporter) Collect(ch chan<- prometheus.Metric) {
	m := e.metrics
	for _, c := range m.vecs() {
		c.Collect(ch)
	}
	if cfg := e.Config(); cfg != nil {
		for name := range cfg.Modules {
			held, targets := e.guard.held(name)
			v := 0.0
			if held {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(m.heldBack, prometheus.GaugeValue, v, name)
			ch <- prometheus.MustNewConstMetric(m.heldTargets, prometheus.GaugeValue, float64(targets), name)
		}
	}
	// Targets idle too long go now, not at the next probe.
	e.pool.sweep()
	ch <- prometheus.MustNewConstMetric(m.targets, prometheus.GaugeValue, float64(e.pool.len()))
	ch <- prometheus.MustNewConstMetric(m.cacheEntries, prometheus.GaugeValue, float64(e.pool.entries.Load()))
	ch <- prometheus.MustNewConstMetric(m.inFlight, prometheus.GaugeValue, float64(len(e.slots)))
}
