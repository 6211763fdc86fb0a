package fleet_test

import (
	"bytes"
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/fleet"
	"github.com/cimjob/cimjob/simulator"
	"github.com/cimjob/cimjob/wsman"
)

// startFleet starts a simulated fleet; its hosts accept user demo.
func startFleet(t testing.TB, opt simulator.FleetOptions) *simulator.Fleet {
	t.Helper()
	f, err := simulator.NewFleet(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// targets names every host of f, with NTLM (sealed over HTTP, one
// handshake per connection) unless basic.
func targets(f *simulator.Fleet, basic bool) []fleet.Target {
	var out []fleet.Target
	for _, h := range f.Hosts() {
		cfg := wsman.Config{URL: h.URL, Auth: &wsman.NTLMAuth{Username: "demo", Password: "demo-password"}}
		if basic {
			cfg.Auth, cfg.AllowUnencrypted = &wsman.BasicAuth{Username: "demo", Password: "demo-password"}, true
		}
		out = append(out, fleet.Target{Name: h.Name, Config: cfg})
	}
	return out
}

func behaviourOf(f *simulator.Fleet) map[string]string {
	m := map[string]string{}
	for _, h := range f.Hosts() {
		m[h.Name] = h.Behaviour
	}
	return m
}

// collect runs and keeps the results in the order emitted.
func collect(ctx context.Context, ts []fleet.Target, opt fleet.Options, p fleet.Probe) ([]*fleet.HostResult, fleet.Summary) {
	var got []*fleet.HostResult
	sum := fleet.Run(ctx, ts, opt, p, func(r *fleet.HostResult) { got = append(got, r) })
	return got, sum
}

// wantFailed lists, per host, the generated jobs of the profile's
// namespace that count as failed.
func wantFailed(f *simulator.Fleet, ns string) map[string][]string {
	out := map[string][]string{}
	for _, h := range f.Hosts() {
		for _, j := range h.Server.GeneratedJobs() {
			if j.Failed && strings.EqualFold(j.Namespace, ns) {
				out[h.Name] = append(out[h.Name], j.InstanceID)
			}
		}
		sort.Strings(out[h.Name])
	}
	return out
}

func TestCheck(t *testing.T) {
	f := startFleet(t, simulator.FleetOptions{Hosts: 6, Jobs: 40, Seed: 5})
	for _, tc := range []struct {
		p     job.Profile
		basic bool
	}{
		{job.HyperV(), false},
		{job.MSPS(), true},
		{job.CIM("root/cimv2", "CIM_ConcreteJob"), true},
	} {
		t.Run(tc.p.Name, func(t *testing.T) {
			got, sum := collect(context.Background(), targets(f, tc.basic), fleet.Options{Parallel: 3, HostTimeout: time.Minute},
				fleet.Check(tc.p, job.ListOptions{}, job.Options{}))
			want := wantFailed(f, tc.p.Namespace)
			if len(got) != 6 || sum.Targets != 6 || sum.Cancelled || sum.Unreachable != 0 {
				t.Fatalf("%d results, summary %+v", len(got), sum)
			}
			nfailed := 0
			for _, r := range got {
				var ids []string
				for _, fj := range r.FailedJobs {
					ids = append(ids, fj.Ref.InstanceID)
					if fj.Result == nil || fj.Vanished || fj.Err != nil {
						t.Errorf("%s %s: result %v, vanished %v, err %v", r.Host, fj.Ref.InstanceID, fj.Result, fj.Vanished, fj.Err)
						continue
					}
					if fj.Result.Succeeded() || fj.Result.Job == nil {
						t.Errorf("%s %s: reported no error (job %v)", r.Host, fj.Ref.InstanceID, fj.Result.Job)
					}
				}
				sort.Strings(ids)
				if strings.Join(ids, " ") != strings.Join(want[r.Host], " ") {
					t.Errorf("%s: failed jobs %v, want %v", r.Host, ids, want[r.Host])
				}
				wantStatus := fleet.Healthy
				if len(want[r.Host]) > 0 {
					wantStatus = fleet.Failed
				}
				if r.Status != wantStatus {
					t.Errorf("%s: status %s, want %s", r.Host, r.Status, wantStatus)
				}
				nfailed += len(ids)
			}
			if sum.FailedJobs != nfailed || sum.Failed+sum.Healthy != 6 {
				t.Errorf("summary %+v; %d failed jobs reported", sum, nfailed)
			}
		})
	}
}

// A job gone between the listing and its error method is noted as
// Vanished, another job's own failure as its Err: the host still answered.
func TestCheckVanishedAndPerJobErrors(t *testing.T) {
	f := startFleet(t, simulator.FleetOptions{Hosts: 1, Jobs: 40, Seed: 5, Profiles: []string{"hyperv"}})
	h := f.Hosts()[0]
	ids := wantFailed(f, "root/virtualization/v2")[h.Name]
	if len(ids) < 3 {
		t.Fatalf("only %d failed jobs", len(ids))
	}
	gone, broken := ids[0], ids[1]
	cfg := wsman.Config{URL: h.URL, Auth: &wsman.BasicAuth{Username: "demo", Password: "demo-password"}, AllowUnencrypted: true}
	inner, err := wsman.NewTransport(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Transport = &editTransport{Transport: inner, edit: func(env []byte) ([]byte, error) {
		if !bytes.Contains(env, []byte("GetError")) {
			return env, nil
		}
		switch {
		case bytes.Contains(env, []byte(gone)):
			// As if the host had removed it: ask for an ID it never had.
			return bytes.ReplaceAll(env, []byte(gone), []byte("00000000-0000-4000-8000-00000000FFFF")), nil
		case bytes.Contains(env, []byte(broken)):
			return nil, errors.New("injected failure")
		}
		return env, nil
	}}
	got, sum := collect(context.Background(), []fleet.Target{{Name: h.Name, Config: cfg}}, fleet.Options{HostTimeout: time.Minute},
		fleet.Check(job.HyperV(), job.ListOptions{}, job.Options{}))
	if len(got) != 1 || got[0].Status != fleet.Failed || sum.Failed != 1 {
		t.Fatalf("results %v, summary %+v: want one Failed host", got, sum)
	}
	seen := 0
	for _, fj := range got[0].FailedJobs {
		switch fj.Ref.InstanceID {
		case gone:
			seen++
			if !fj.Vanished || fj.Result != nil {
				t.Errorf("vanished job: vanished %v, result %v, err %v", fj.Vanished, fj.Result, fj.Err)
			}
		case broken:
			seen++
			if fj.Err == nil || fj.Vanished || fj.Result != nil {
				t.Errorf("broken job: vanished %v, result %v, err %v", fj.Vanished, fj.Result, fj.Err)
			}
		default:
			if fj.Result == nil {
				t.Errorf("%s: no result (err %v)", fj.Ref.InstanceID, fj.Err)
			}
		}
	}
	if seen != 2 || len(got[0].FailedJobs) != len(ids) {
		t.Errorf("%d failed jobs reported, %d of the two edited; want %d", len(got[0].FailedJobs), seen, len(ids))
	}
}

type editTransport struct {
	wsman.Transport
	edit func([]byte) ([]byte, error)
}

func (e *editTransport) RoundTrip(ctx context.Context, env []byte) (*wsman.Reply, error) {
	env, err := e.edit(env)
	if err != nil {
		return nil, err
	}
	return e.Transport.RoundTrip(ctx, env)
}

// A hanging and a dropping host end at their own deadline, an auth-fail
// host is Unreachable with an *AuthError, and the others are reported
// before the hanging one; every host that answered used one connection and
// one handshake.
func TestRunIsolation(t *testing.T) {
	f := startFleet(t, simulator.FleetOptions{Hosts: 8, Jobs: 20, Seed: 3, Hang: 0.125, Drop: 0.125, AuthFail: 0.125})
	beh := behaviourOf(f)
	const timeout = 3 * time.Second
	got, sum := collect(context.Background(), targets(f, false), fleet.Options{Parallel: 8, HostTimeout: timeout},
		fleet.Check(job.HyperV(), job.ListOptions{}, job.Options{}))
	if len(got) != 8 || sum.Unreachable != 3 || sum.Cancelled {
		t.Fatalf("%d results, summary %+v", len(got), sum)
	}
	lastNormal, hang := -1, -1
	for i, r := range got {
		switch beh[r.Host] {
		case simulator.BehaviourNormal:
			lastNormal = i
			if r.Status == fleet.Unreachable {
				t.Errorf("%s: unreachable: %v", r.Host, r.Err)
			}
		case simulator.BehaviourHang:
			hang = i
			if r.Status != fleet.Unreachable || !errors.Is(r.Err, context.DeadlineExceeded) || r.Duration < timeout {
				t.Errorf("hanging host: %s after %v, %v; want Unreachable at its deadline", r.Status, r.Duration, r.Err)
			}
		case simulator.BehaviourDrop:
			if r.Status != fleet.Unreachable || r.Err == nil {
				t.Errorf("dropping host: %s, %v; want Unreachable", r.Status, r.Err)
			}
		case simulator.BehaviourAuthFail:
			var ae *wsman.AuthError
			if r.Status != fleet.Unreachable || !errors.As(r.Err, &ae) {
				t.Errorf("auth-fail host: %s, %v; want Unreachable with *wsman.AuthError", r.Status, r.Err)
			}
		}
	}
	if hang < lastNormal {
		t.Errorf("the hanging host was reported at %d, before the last answering host at %d", hang, lastNormal)
	}
	for _, hs := range f.Stats() {
		if beh[hs.Name] != simulator.BehaviourNormal {
			continue
		}
		if hs.Stats.Connections != 1 || hs.Stats.Handshakes != 1 {
			t.Errorf("%s: %d connections, %d handshakes; want one of each", hs.Name, hs.Stats.Connections, hs.Stats.Handshakes)
		}
	}
}

// Cancelling mid-run ends Run promptly with Cancelled; every host is
// still reported, the unfinished ones Unreachable with an error that
// wraps the cancellation, after the ones that answered.
func TestRunCancel(t *testing.T) {
	f := startFleet(t, simulator.FleetOptions{Hosts: 12, Jobs: 10, Seed: 3, Latency: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var answered, unfinished []string
	done := false
	sum := fleet.Run(ctx, targets(f, true), fleet.Options{Parallel: 2}, fleet.Identify(), func(r *fleet.HostResult) {
		mu.Lock()
		defer mu.Unlock()
		if done {
			t.Errorf("%s reported after Run returned", r.Host)
		}
		switch {
		case r.Status == fleet.Healthy && r.Identity != nil:
			if len(unfinished) > 0 {
				t.Errorf("%s answered but was reported after an unfinished host", r.Host)
			}
			answered = append(answered, r.Host)
		case r.Status == fleet.Unreachable && errors.Is(r.Err, context.Canceled):
			unfinished = append(unfinished, r.Host)
		default:
			t.Errorf("%s: %s, %v", r.Host, r.Status, r.Err)
		}
		if len(answered) == 3 && len(unfinished) == 0 {
			cancel()
		}
	})
	mu.Lock()
	done = true
	n, u := len(answered), len(unfinished)
	mu.Unlock()
	if !sum.Cancelled || sum.Healthy != n || n < 3 || n >= 12 || n+u != 12 || sum.Unreachable != u || sum.Targets != 12 {
		t.Errorf("summary %+v after %d answered and %d unfinished; want Cancelled and all 12 reported", sum, n, u)
	}
}

// Jobs lists every job, and a host with a job the policy counts as failed
// is Failed.
func TestJobs(t *testing.T) {
	f := startFleet(t, simulator.FleetOptions{Hosts: 3, Jobs: 30, Seed: 2, Profiles: []string{"msps"}})
	got, sum := collect(context.Background(), targets(f, true), fleet.Options{}, fleet.Jobs(job.MSPS(), job.ListOptions{}))
	if len(got) != 3 || sum.Failed != 3 {
		t.Fatalf("%d results, summary %+v", len(got), sum)
	}
	for _, r := range got {
		for _, h := range f.Hosts() {
			if h.Name == r.Host && len(r.Jobs) != len(h.Server.GeneratedJobs()) {
				t.Errorf("%s: %d jobs listed of %d", r.Host, len(r.Jobs), len(h.Server.GeneratedJobs()))
			}
		}
	}
	got, sum = collect(context.Background(), targets(f, true), fleet.Options{}, fleet.Jobs(job.MSPS(), job.ListOptions{Which: job.Running}))
	if len(got) != 3 || sum.Healthy != 3 {
		t.Errorf("running jobs only: summary %+v, want every host Healthy", sum)
	}
}

func TestRunNoTargets(t *testing.T) {
	sum := fleet.Run(context.Background(), nil, fleet.Options{}, fleet.Identify(), func(*fleet.HostResult) { t.Error("emitted") })
	if sum != (fleet.Summary{}) {
		t.Errorf("summary %+v", sum)
	}
}
