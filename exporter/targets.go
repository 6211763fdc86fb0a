package exporter

import (
	"container/list"
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/wsman"
)

// Eviction reasons, the reason label of MetricTargetEvictions.
const (
	evictCapacity = "capacity"
	evictIdle     = "idle"
	evictReload   = "reload"
)

// maxCachedErrors bounds the cached errors of one target. The listing
// bounds them too (a job that leaves it leaves the cache), but a hostile
// host can list any number of failed jobs: beyond this many, errors are
// asked for again on each scrape (max_failed_jobs at a time) rather than
// kept.
const maxCachedErrors = 10000

// maxCachedErrorsTotal bounds the cached errors of all kept targets
// together: maxCachedErrors times DefaultMaxTargets entries (of about
// 700 bytes each) would be gigabytes, and whoever can reach /probe can
// point the exporter at hosts that list many failed jobs. Beyond it,
// errors are asked for again on each scrape, as beyond maxCachedErrors.
const maxCachedErrorsTotal = 100000

// targetKey names a kept target: the same host under two modules is two
// targets, with their own credentials.
type targetKey struct{ module, target string }

// target is what is kept of one (module, target) between scrapes: its
// client, whose connections stay authenticated, and the errors of its
// failed jobs. Probes of it are serialised by sem, so that two scrapers
// never call one job's error method twice; client and errs belong to the
// holder of sem.
type target struct {
	key targetKey
	// fp is the fingerprint of the module the target was made under.
	fp  [32]byte
	sem chan struct{}

	client *wsman.Client
	// errs maps a failed job (errKey) to its error method's answer, kept
	// compact (fleet.CompactResult).
	errs map[string]*job.Result

	// Guarded by pool.mu.
	elem  *list.Element
	last  time.Time
	users int
	gone  bool
}

// lock takes the target's semaphore, or gives up with ctx.
func (t *target) lock(ctx context.Context) error {
	select {
	case t.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (t *target) unlock() { <-t.sem }

// pool holds the kept targets: at most max but for those in use, the
// least recently probed evicted first, none unprobed for longer than
// idle. A target in use and evicted otherwise (reload, Close) is closed by
// its last user.
type pool struct {
	max     int
	maxErrs int // per target: maxCachedErrors
	// maxTotal bounds entries: maxCachedErrorsTotal.
	maxTotal int64
	idle     time.Duration
	now      func() time.Time
	metrics  *ownMetrics

	mu      sync.Mutex
	targets map[targetKey]*target
	lru     *list.List // of *target, most recently acquired or released first
	// entries counts the cached errors of every target, for the gauge.
	entries atomic.Int64
}

func newPool(max int, idle time.Duration, m *ownMetrics) *pool {
	return &pool{max: max, maxErrs: maxCachedErrors, maxTotal: maxCachedErrorsTotal, idle: idle, now: time.Now, metrics: m,
		targets: make(map[targetKey]*target), lru: list.New()}
}

// acquire returns the target of key made under the module of fingerprint
// fp, new if need be (a kept one of another fingerprint is replaced), and
// marks it in use until release.
func (p *pool) acquire(key targetKey, fp [32]byte) *target {
	var closing []*target
	p.mu.Lock()
	t := p.targets[key]
	if t != nil && t.fp != fp {
		closing = p.evictLocked(t, evictReload, closing)
		t = nil
	}
	if t == nil {
		t = &target{key: key, fp: fp, sem: make(chan struct{}, 1), errs: make(map[string]*job.Result)}
		t.elem = p.lru.PushFront(t)
		p.targets[key] = t
	} else {
		p.lru.MoveToFront(t.elem)
	}
	t.users++
	t.last = p.now()
	closing = p.sweepLocked(closing)
	// Targets in use stay, the pool over its bound until they are
	// released: an evicted one would be made anew beside the probe still
	// using it, and two probes of one host would double its error calls.
	for el := p.lru.Back(); p.lru.Len() > p.max && el != nil; {
		old := el.Value.(*target)
		el = el.Prev()
		if old.users == 0 {
			closing = p.evictLocked(old, evictCapacity, closing)
		}
	}
	p.mu.Unlock()
	p.closeEach(closing)
	return t
}

// release ends a use of t; the last user of an evicted target closes it.
func (p *pool) release(t *target) {
	p.mu.Lock()
	t.users--
	t.last = p.now()
	if !t.gone {
		// The list stays in the order of last, which sweepLocked relies on.
		p.lru.MoveToFront(t.elem)
	}
	last := t.gone && t.users == 0
	p.mu.Unlock()
	if last {
		p.close(t)
	}
}

// sweep evicts the targets idle for longer than p.idle.
func (p *pool) sweep() {
	p.mu.Lock()
	closing := p.sweepLocked(nil)
	p.mu.Unlock()
	p.closeEach(closing)
}

// sweepLocked runs at every probe, so it looks only at the idle end of
// the list: every acquire and release sets last and moves the target to
// the front, so the list is in the order of last and the walk from the
// back stops at the first target used since the cutoff.
func (p *pool) sweepLocked(closing []*target) []*target {
	cutoff := p.now().Add(-p.idle)
	for e := p.lru.Back(); e != nil; {
		t := e.Value.(*target)
		e = e.Prev()
		if !t.last.Before(cutoff) {
			break
		}
		if t.users == 0 {
			closing = p.evictLocked(t, evictIdle, closing)
		}
	}
	return closing
}

// drop evicts, for a reload, every target keep refuses.
func (p *pool) drop(keep func(module string, fp [32]byte) bool) {
	var closing []*target
	p.mu.Lock()
	for _, t := range p.targets {
		if !keep(t.key.module, t.fp) {
			closing = p.evictLocked(t, evictReload, closing)
		}
	}
	p.mu.Unlock()
	p.closeEach(closing)
}

// closeAll evicts every target (Close).
func (p *pool) closeAll() {
	var closing []*target
	p.mu.Lock()
	for _, t := range p.targets {
		t.gone = true
		p.lru.Remove(t.elem)
		delete(p.targets, t.key)
		if t.users == 0 {
			closing = append(closing, t)
		}
	}
	p.mu.Unlock()
	p.closeEach(closing)
}

// evictLocked forgets t and, unless it is in use, adds it to closing.
func (p *pool) evictLocked(t *target, reason string, closing []*target) []*target {
	if t.gone {
		return closing
	}
	t.gone = true
	p.lru.Remove(t.elem)
	delete(p.targets, t.key)
	p.metrics.evictions.WithLabelValues(reason).Inc()
	if t.users == 0 {
		closing = append(closing, t)
	}
	return closing
}

// close closes t's client and forgets its cached errors. It runs without
// p.mu (closing connections may take a moment) and once per target: after
// the last user, or at eviction of an unused one.
func (p *pool) close(t *target) {
	t.sem <- struct{}{} // no probe holds it any more; taken for good
	if t.client != nil {
		_ = t.client.Close()
		t.client = nil
	}
	p.entries.Add(-int64(len(t.errs)))
	t.errs = nil
}

// reserveEntry counts one more cached error, unless the cache of all
// targets is full.
func (p *pool) reserveEntry() bool {
	for {
		n := p.entries.Load()
		if n >= p.maxTotal {
			return false
		}
		if p.entries.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

func (p *pool) closeEach(ts []*target) {
	for _, t := range ts {
		p.close(t)
	}
}

// len is the number of kept targets.
func (p *pool) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lru.Len()
}
