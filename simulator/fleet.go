package simulator

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/cimjob/cimjob/fixtures"
)

// FleetOptions configure a Fleet: many simulated hosts in one process.
type FleetOptions struct {
	// Hosts is how many hosts to simulate (1..MaxFleetHosts).
	Hosts int
	// FS holds responses/ and scenarios/; nil means fixtures.FS.
	FS fs.FS
	// Scenario gives every host its authentication, namespaces and,
	// unless Jobs is set, its generated jobs; "" means "fleet.json".
	Scenario string
	// Jobs, Seed and Profiles override the scenario's generate section.
	// Host i's jobs come from (Seed, i): each host has its own set.
	Jobs     int
	Seed     uint64
	Profiles []string
	// Listen says where the hosts listen: "127.0.0.1:0" (the default) gives
	// each host a port of its own; "127.0.0.1:N" the ports N..N+Hosts-1.
	// With PerAddress, host i listens on the i-th loopback address from
	// 127.0.0.2 on (skipping x.x.x.0 and x.x.x.255) and Listen's port (0:
	// any), which Linux serves on lo without configuration.
	Listen     string
	PerAddress bool
	// Latency is added to every request of every host, plus up to Jitter
	// more, at random.
	Latency, Jitter time.Duration
	// Fractions of the hosts (chosen from Seed) that misbehave on every
	// request: Hang never answers (until the client or Close ends it),
	// Drop closes the connection without a reply, AuthFail refuses the
	// scenario's passwords (its users' passwords differ), Flaky answers
	// FailRate of its requests with HTTP 503 (HTTP.sys's reply when the
	// service is unavailable).
	Hang, Drop, AuthFail, Flaky float64
	FailRate                    float64
	// NoFailedJobs makes every generated job end well: one that would
	// have failed completes with ErrorCode 0 instead, so the hosts have
	// jobs in every other state but nothing to report.
	NoFailedJobs bool
	// EnumerationTimeout and MaxEnumerations apply to every host.
	EnumerationTimeout time.Duration
	MaxEnumerations    int
	// Logf, if set, receives one line per request of every host.
	Logf func(format string, args ...any)
}

// defaultFleetJobs is each host's job count when neither the scenario nor
// the options say.
const defaultFleetJobs = 50

// MaxFleetHosts bounds a fleet: each host holds a listening socket.
const MaxFleetHosts = 10000

// Behaviours of a fleet host.
const (
	BehaviourNormal   = "normal"
	BehaviourHang     = "hang"
	BehaviourDrop     = "drop"
	BehaviourAuthFail = "auth-fail"
	BehaviourFlaky    = "flaky"
)

// HostInfo describes one host of a fleet.
type HostInfo struct {
	Index int
	// Name is the host's machine name (in faults and NTLM challenges).
	Name string
	// URL is its endpoint, "http://127.0.0.1:NNNNN/wsman".
	URL string
	// Behaviour is one of the Behaviour* constants.
	Behaviour string
	// Server is the host itself: its Stats, GeneratedJobs, ...
	Server *Server
}

// Fleet is many simulated hosts served from one process.
type Fleet struct {
	hosts []HostInfo
}

// hostState is a fleet host's own injection state.
type hostState struct {
	behaviour       string
	latency, jitter time.Duration
	failRate        float64
	mu              sync.Mutex
	rng             *rand.Rand
}

// NewFleet starts opt.Hosts hosts. Close stops them.
func NewFleet(opt FleetOptions) (*Fleet, error) {
	if opt.Hosts <= 0 || opt.Hosts > MaxFleetHosts {
		return nil, fmt.Errorf("simulator: fleet of %d hosts: want 1..%d", opt.Hosts, MaxFleetHosts)
	}
	for _, f := range []float64{opt.Hang, opt.Drop, opt.AuthFail, opt.Flaky, opt.FailRate} {
		if f < 0 || f > 1 {
			return nil, errors.New("simulator: fleet fractions and FailRate must be within 0..1")
		}
	}
	if opt.Hang+opt.Drop+opt.AuthFail+opt.Flaky > 1 {
		return nil, errors.New("simulator: fleet fractions add up to more than 1")
	}
	fsys := opt.FS
	if fsys == nil {
		fsys = fixtures.FS
	}
	name := opt.Scenario
	if name == "" {
		name = "fleet.json"
	}
	base, fx, err := loadScenarioFixtures(fsys, name)
	if err != nil {
		return nil, err
	}
	spec := base.generateSpec(GenerateSpec{Jobs: defaultFleetJobs}, opt.Jobs, opt.Seed, opt.Profiles)
	tmpl, err := loadTemplates(fsys)
	if err != nil {
		return nil, err
	}
	host, port, err := net.SplitHostPort(orDefault(opt.Listen, "127.0.0.1:0"))
	if err != nil {
		return nil, fmt.Errorf("simulator: fleet listen address: %w", err)
	}
	basePort, err := strconv.Atoi(port)
	if err != nil || basePort < 0 || basePort+opt.Hosts > 65536 {
		return nil, fmt.Errorf("simulator: fleet listen port %q does not leave room for %d hosts", port, opt.Hosts)
	}
	behaviours := assignBehaviours(opt, spec.Seed)
	epoch := time.Now()
	f := &Fleet{}
	for i := 0; i < opt.Hosts; i++ {
		sc := *base
		sc.Host = fmt.Sprintf("HV%04d.fleet.example", i+1)
		if behaviours[i] == BehaviourAuthFail {
			sc.Users = map[string]string{}
			for u := range base.Users {
				sc.Users[u] = "not-the-scenario-password"
			}
		}
		s := newServer(&sc, name, fx, Options{EnumerationTimeout: opt.EnumerationTimeout, MaxEnumerations: opt.MaxEnumerations, Logf: opt.Logf})
		if s.gen, err = newGenerator(tmpl, spec, i, epoch); err != nil {
			f.Close()
			return nil, err
		}
		s.gen.noFailures = opt.NoFailedJobs
		hs := &hostState{behaviour: behaviours[i], latency: opt.Latency, jitter: opt.Jitter,
			rng: rand.New(rand.NewPCG(spec.Seed, uint64(i)))}
		if hs.behaviour == BehaviourFlaky {
			hs.failRate = opt.FailRate
		}
		if hs.latency > 0 || hs.jitter > 0 || hs.behaviour != BehaviourNormal && hs.behaviour != BehaviourAuthFail {
			s.hostHook = func(w http.ResponseWriter, r *http.Request) bool { return s.hostMisbehave(hs, w, r) }
		}
		addr := net.JoinHostPort(host, port)
		switch {
		case opt.PerAddress:
			addr = net.JoinHostPort(loopbackAddr(i), port)
		case basePort != 0:
			addr = net.JoinHostPort(host, strconv.Itoa(basePort+i))
		}
		url, err := s.Start(addr)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("simulator: fleet host %d: %w", i+1, err)
		}
		f.hosts = append(f.hosts, HostInfo{Index: i, Name: sc.Host, URL: url, Behaviour: hs.behaviour, Server: s})
	}
	return f, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// loopbackAddr is the i-th address of 127.0.0.0/8 from 127.0.0.2 on,
// skipping those ending in .0 or .255.
func loopbackAddr(i int) string {
	j := i + 1 // 127.0.0.1 is left to single hosts
	n := j/254*256 + j%254 + 1
	return fmt.Sprintf("127.%d.%d.%d", n>>16&0xff, n>>8&0xff, n&0xff)
}

// assignBehaviours picks which hosts misbehave: the same hosts for the
// same seed, spread over the fleet rather than bunched at its end.
func assignBehaviours(opt FleetOptions, seed uint64) []string {
	out := make([]string, opt.Hosts)
	for i := range out {
		out[i] = BehaviourNormal
	}
	perm := rand.New(rand.NewPCG(seed, 0xf1ee7)).Perm(opt.Hosts)
	k := 0
	for _, b := range []struct {
		frac float64
		name string
	}{{opt.Hang, BehaviourHang}, {opt.Drop, BehaviourDrop}, {opt.AuthFail, BehaviourAuthFail}, {opt.Flaky, BehaviourFlaky}} {
		n := int(b.frac*float64(opt.Hosts) + 0.5)
		for j := 0; j < n && k < len(perm); j++ {
			out[perm[k]] = b.name
			k++
		}
	}
	return out
}

// hostMisbehave applies a fleet host's latency and behaviour to a request;
// true when it has answered (or cut) the request itself.
func (s *Server) hostMisbehave(hs *hostState, w http.ResponseWriter, r *http.Request) bool {
	hs.mu.Lock()
	d := hs.latency
	if hs.jitter > 0 {
		d += time.Duration(hs.rng.Int64N(int64(hs.jitter) + 1))
	}
	fail := hs.failRate > 0 && hs.rng.Float64() < hs.failRate
	hs.mu.Unlock()
	if d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		case <-s.done:
			t.Stop()
			return true
		}
	}
	switch {
	case hs.behaviour == BehaviourHang:
		s.count(func(st *Stats) { st.Injected++ })
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		hijackWrite(w, "", nil)
		return true
	case hs.behaviour == BehaviourDrop:
		s.count(func(st *Stats) { st.Injected++ })
		hijackWrite(w, "", nil)
		return true
	case fail:
		s.count(func(st *Stats) { st.Injected++ })
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	}
	return false
}

// Hosts lists the fleet's hosts in index order.
func (f *Fleet) Hosts() []HostInfo { return append([]HostInfo(nil), f.hosts...) }

// HostStats is one host's counters.
type HostStats struct {
	Name  string
	Stats Stats
}

// Stats returns every host's counters, in index order.
func (f *Fleet) Stats() []HostStats {
	out := make([]HostStats, len(f.hosts))
	for i, h := range f.hosts {
		out[i] = HostStats{Name: h.Name, Stats: h.Server.Stats()}
	}
	return out
}

// Close stops every host.
func (f *Fleet) Close() error {
	var first error
	for _, h := range f.hosts {
		if err := h.Server.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
