package exporter

import (
	"log/slog"
	"sync"
	"time"

	"github.com/cimjob/cimjob/wsman"
)

// Defaults of Options' zero fields.
const (
	// DefaultMaxTargets bounds the kept targets (a client and its cached
	// errors each); beyond it the least recently probed is closed.
	DefaultMaxTargets = 2000
	// DefaultTargetIdle is how long a kept target may go unprobed before
	// it is closed and forgotten.
	DefaultTargetIdle = 10 * time.Minute
	// DefaultTimeoutOffset is taken off the scrape's timeout so that the
	// answer reaches Prometheus before it gives up.
	DefaultTimeoutOffset = 500 * time.Millisecond
	// DefaultMaxConcurrentProbes bounds the probes under way at once. A
	// probe's memory is bounded (its reply budget), so this bounds the
	// exporter's; 128 is 500 hosts every 15 s at up to 3.8 s a probe.
	DefaultMaxConcurrentProbes = 128
)

// Options shape an Exporter; zero fields take the defaults.
type Options struct {
	// Logger receives one debug line per probe (module, target, result,
	// reason, duration) and the exporter's warnings; nil discards.
	Logger *slog.Logger
	// MaxTargets bounds the kept targets, but for those being probed;
	// 0 means DefaultMaxTargets.
	MaxTargets int
	// TargetIdle is how long an unprobed target is kept; 0 means
	// DefaultTargetIdle.
	TargetIdle time.Duration
	// TimeoutOffset is subtracted from X-Prometheus-Scrape-Timeout-Seconds;
	// 0 means DefaultTimeoutOffset.
	TimeoutOffset time.Duration
	// UserAgent is sent to hosts; empty means wsman's default.
	UserAgent string
	// MaxConcurrentProbes bounds the probes under way at once; beyond it
	// a probe waits for one to end, until its deadline, and then fails
	// with reason timeout. 0 means DefaultMaxConcurrentProbes.
	MaxConcurrentProbes int
}

// Exporter probes hosts for /probe and keeps their clients between
// scrapes. It is safe for concurrent use; its methods may be called from
// any goroutine.
type Exporter struct {
	opt     Options
	log     *slog.Logger
	metrics *ownMetrics

	pool  *pool
	guard *authGuard
	// slots holds a token per probe under way (MaxConcurrentProbes).
	slots chan struct{}
	// maxProbeBytes and maxListedJobs bound a probe: defaultMaxProbeBytes
	// and defaultMaxListedJobs; tests lower them.
	maxProbeBytes int64
	maxListedJobs int
	// wrap, if set (tests), wraps the transport of each new client.
	wrap func(wsman.Transport) wsman.Transport

	mu  sync.Mutex
	cfg *Config
}

// New returns an Exporter of the modules of cfg (from LoadConfig or
// ParseConfig). Close it to close the clients it keeps.
func New(cfg *Config, opt Options) *Exporter {
	if opt.MaxTargets <= 0 {
		opt.MaxTargets = DefaultMaxTargets
	}
	if opt.TargetIdle <= 0 {
		opt.TargetIdle = DefaultTargetIdle
	}
	if opt.TimeoutOffset <= 0 {
		opt.TimeoutOffset = DefaultTimeoutOffset
	}
	if opt.MaxConcurrentProbes <= 0 {
		opt.MaxConcurrentProbes = DefaultMaxConcurrentProbes
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := newOwnMetrics()
	return &Exporter{opt: opt, log: log, metrics: m, cfg: cfg,
		pool: newPool(opt.MaxTargets, opt.TargetIdle, m), guard: newAuthGuard(m),
		slots: make(chan struct{}, opt.MaxConcurrentProbes)}
}

// SetConfig replaces the configuration (a reload). The kept targets of
// modules that are gone or whose settings (credentials included) changed
// are closed and dropped, and their credentials no longer held back after
// a refusal; those of unchanged modules are kept.
func (e *Exporter) SetConfig(cfg *Config) {
	e.mu.Lock()
	e.cfg = cfg
	e.mu.Unlock()
	keep := func(module string, fp [32]byte) bool {
		m := cfg.module(module)
		return m != nil && m.r.fingerprint == fp
	}
	e.pool.drop(keep)
	// New credentials are tried at once.
	e.guard.forget(keep)
}

// Config returns the configuration in use.
func (e *Exporter) Config() *Config {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cfg
}

// Close closes every kept client. Probes after Close still work, with
// fresh clients that a later Close closes.
func (e *Exporter) Close() error {
	e.pool.closeAll()
	return nil
}
