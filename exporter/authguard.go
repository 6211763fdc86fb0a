package exporter

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cimjob/cimjob/wsman"
)

// The back-off of refused credentials: the first refusal holds them back
// authBackoffMin, each refusal of the probe let through after it doubles
// that, up to authBackoffMax. From 2 minutes the credentials are sent at
// most 4 times in the first 30 minutes (at 0, 2, 6 and 14) and twice an
// hour after, below the 5 to 10 bad logons in 30 minutes at which Active
// Directory typically locks an account; from 1 minute it would be 5.
const (
	authBackoffMin = 2 * time.Minute
	authBackoffMax = 30 * time.Minute
	// maxHeldTargets bounds the targets of one module held back on their
	// own; past it the one whose back-off ends first is forgotten (it
	// then trips the whole module again, the safe side).
	maxHeldTargets = 10000
)

// authBackoff is the back-off after the level-th refusal in a row.
func authBackoff(level int) time.Duration {
	d := authBackoffMin
	for i := 1; i < level && d < authBackoffMax; i++ {
		d *= 2
	}
	return min(d, authBackoffMax)
}

// refusedCredentials reports whether err is the host (or, for Kerberos,
// the KDC) refusing the module's credentials: a *wsman.AuthError. Each
// such refusal of a domain account is a bad logon that the domain counts
// towards locking the account out. Access denied to a resource
// (wsman.ErrAccessDenied) is not one: the logon succeeded and counted
// nothing, and an unreachable KDC sent no credentials.
func refusedCredentials(err error) bool {
	var ae *wsman.AuthError
	return errors.As(err, &ae) && Classify(err) == ReasonAuth
}

// authGuard stops sending a module's credentials after they were refused,
// so that a wrong or expired password, retried on every scrape of every
// host (500 hosts every 15 s is 2000 bad logons a minute), does not lock
// the account out for every other user of it.
//
// The state is per module, since that is the safe default: a domain
// account is shared by every host of a module, and a refusal by one host
// says the password is likely wrong for all of them. While a module is
// held back, its probes answer at once (reason auth) without a
// connection, but for one probe per back-off period (half-open), which
// logs in afresh: a success closes the guard, a refusal doubles the
// back-off.
//
// Hosts that refuse credentials others accept are held back alone, on
// their own back-off (a local account differs per host; so may a host's
// trust of the domain): a refusal right after a host accepted a logon
// (a new client's) holds back only the refusing target, and so does a
// half-open success on another target than the one that held the module
// back. A second refusal before the next accepted logon holds the whole
// module back again, so a password changed on the domain costs at most
// one bad logon more than the module's back-off. A reload that changes
// the module (its fingerprint) forgets its state.
//
// Probes in flight when the guard trips still fail on their own; their
// number is bounded by the probes under way (Options.MaxConcurrentProbes).
type authGuard struct {
	now     func() time.Time
	metrics *ownMetrics

	mu      sync.Mutex
	modules map[string]*moduleGuard
}

// moduleGuard is the guard's state of one module.
type moduleGuard struct {
	fp [32]byte
	backoff
	// trippedBy is the target whose refusal held the module back.
	trippedBy string
	// gen changes whenever the module's back-off begins or ends, so that
	// the outcome of a probe admitted before is not counted again.
	gen uint64
	// targets are those held back on their own.
	targets map[string]*backoff
	// accepted: the module's last logon (a probe with a new client) that
	// a host answered was accepted, and no target refused since.
	accepted bool
}

// backoff is one held-back state: level refusals in a row (0: not held
// back), held back until until, a half-open probe under way.
type backoff struct {
	level   int
	until   time.Time
	probing bool
}

// Which half-open probe a ticket is.
const (
	halfOpenNone = iota
	halfOpenModule
	halfOpenTarget
)

// guardTicket is a probe the guard let through, to report on.
type guardTicket struct {
	module, target string
	fp             [32]byte
	halfOpen       int
	gen            uint64
}

// heldBackError is the error of a probe the guard held back.
type heldBackError struct {
	until  time.Time
	target bool // held back for this target alone
}

func (e *heldBackError) Error() string {
	who := "the module's credentials were refused"
	if e.target {
		who = "the target refused the module's credentials"
	}
	return fmt.Sprintf("probe held back: %s; they are not sent again before %s", who, e.until.UTC().Format(time.RFC3339))
}

func newAuthGuard(m *ownMetrics) *authGuard {
	return &authGuard{now: time.Now, metrics: m, modules: make(map[string]*moduleGuard)}
}

// admit returns the ticket of a probe of target (its service URL, so
// that every spelling of a host is one target) under module (of
// fingerprint fp), or the error that holds it back.
func (g *authGuard) admit(module, target string, fp [32]byte) (guardTicket, error) {
	tk := guardTicket{module: module, target: target, fp: fp}
	g.mu.Lock()
	defer g.mu.Unlock()
	mg := g.modules[module]
	if mg == nil || mg.fp != fp {
		// New, or changed by a reload: its credentials are new too.
		mg = &moduleGuard{fp: fp, targets: make(map[string]*backoff)}
		g.modules[module] = mg
	}
	now := g.now()
	// A target held back on its own stays so, and is not the module's
	// half-open probe: its refusal would say nothing of the others.
	tb := mg.targets[target]
	if tb != nil && (now.Before(tb.until) || tb.probing) {
		return tk, &heldBackError{until: tb.until, target: true}
	}
	switch {
	case mg.level > 0:
		if now.Before(mg.until) || mg.probing {
			return tk, &heldBackError{until: mg.until}
		}
		mg.probing, tk.halfOpen = true, halfOpenModule
	case tb != nil:
		tb.probing, tk.halfOpen = true, halfOpenTarget
	}
	tk.gen = mg.gen
	return tk, nil
}

// report learns the outcome of an admitted probe: err nil (the host
// accepted the credentials; logon: with a new login, not a connection
// logged in before), refused credentials, or any other failure, which
// says nothing of them.
func (g *authGuard) report(tk guardTicket, err error, logon bool) {
	refused := refusedCredentials(err)
	g.mu.Lock()
	defer g.mu.Unlock()
	mg := g.modules[tk.module]
	if mg == nil || mg.fp != tk.fp {
		return // reloaded meanwhile
	}
	now := g.now()
	switch tk.halfOpen {
	case halfOpenModule:
		mg.probing = false
		switch {
		case refused:
			mg.level++
			mg.until = now.Add(authBackoff(mg.level))
			mg.gen++
			g.metrics.authBackoffs.WithLabelValues(tk.module).Inc()
		case err == nil:
			if mg.trippedBy != tk.target {
				// Another host accepts them: only the one that
				// refused stays held back.
				mg.hold(mg.trippedBy, mg.level, now)
			}
			delete(mg.targets, tk.target)
			mg.backoff, mg.trippedBy = backoff{}, ""
			mg.gen++
			mg.accepted = true
		}
	case halfOpenTarget:
		tb := mg.targets[tk.target]
		if tb == nil {
			return
		}
		tb.probing = false
		switch {
		case refused:
			tb.level++
			tb.until = now.Add(authBackoff(tb.level))
			g.metrics.authBackoffs.WithLabelValues(tk.module).Inc()
		case err == nil:
			delete(mg.targets, tk.target)
			mg.accepted = true
		}
	default:
		switch {
		case err == nil && logon:
			mg.accepted = true
		case !refused || mg.level > 0 || tk.gen != mg.gen:
			// Not a refusal, or one of a probe admitted before the
			// guard last changed: counted already, or answered by a
			// probe that came after.
		case mg.accepted:
			// Another host accepted a logon last: this host refuses
			// alone. A second refusal before the next acceptance
			// holds the module back.
			mg.accepted = false
			mg.hold(tk.target, 1, now)
			g.metrics.authBackoffs.WithLabelValues(tk.module).Inc()
		default:
			mg.level, mg.until, mg.trippedBy = 1, now.Add(authBackoff(1)), tk.target
			mg.accepted = false
			mg.gen++
			g.metrics.authBackoffs.WithLabelValues(tk.module).Inc()
		}
	}
}

// hold holds target back on its own at level, bounded by maxHeldTargets.
func (mg *moduleGuard) hold(target string, level int, now time.Time) {
	if _, ok := mg.targets[target]; !ok && len(mg.targets) >= maxHeldTargets {
		var first string
		var end time.Time
		for t, b := range mg.targets {
			if first == "" || b.until.Before(end) {
				first, end = t, b.until
			}
		}
		delete(mg.targets, first)
	}
	mg.targets[target] = &backoff{level: level, until: now.Add(authBackoff(level))}
}

// forget drops the state of modules keep refuses (a reload).
func (g *authGuard) forget(keep func(module string, fp [32]byte) bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for name, mg := range g.modules {
		if !keep(name, mg.fp) {
			delete(g.modules, name)
		}
	}
}

// held reports, for the gauges, whether the module is held back and how
// many of its targets are on their own. A target counts until its
// back-off ends (or while its probe then is under way): its state stays
// for its next probe, but a host no longer probed is held back from
// nothing.
func (g *authGuard) held(module string) (bool, int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	mg := g.modules[module]
	if mg == nil {
		return false, 0
	}
	now, n := g.now(), 0
	for _, tb := range mg.targets {
		if now.Before(tb.until) || tb.probing {
			n++
		}
	}
	return mg.level > 0, n
}
