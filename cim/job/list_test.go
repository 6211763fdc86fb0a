package job_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/simulator"
	"github.com/cimjob/cimjob/wsman"
)

func TestFailurePolicy(t *testing.T) {
	u := func(n uint64) *uint64 { return &n }
	st := func(n uint64) *cim.Enum { return &cim.Enum{Value: n} }
	tests := []struct {
		name   string
		policy job.FailurePolicy
		props  job.Properties
		want   bool
	}{
		{"exception", job.FailurePolicy{}, job.Properties{JobState: st(job.StateException), ErrorCode: u(0)}, true},
		{"exception without ErrorCode", job.FailurePolicy{}, job.Properties{JobState: st(job.StateException)}, true},
		{"completed ok", job.FailurePolicy{}, job.Properties{JobState: st(job.StateCompleted), ErrorCode: u(0)}, false},
		{"completed with ErrorCode", job.FailurePolicy{}, job.Properties{JobState: st(job.StateCompleted), ErrorCode: u(32768)}, true},
		{"killed with ErrorCode", job.FailurePolicy{}, job.Properties{JobState: st(job.StateKilled), ErrorCode: u(1)}, true},
		{"killed, ErrorCode 0", job.FailurePolicy{}, job.Properties{JobState: st(job.StateKilled), ErrorCode: u(0)}, false},
		{"killed, policy adds Killed", job.FailurePolicy{States: []uint64{job.StateKilled}}, job.Properties{JobState: st(job.StateKilled), ErrorCode: u(0)}, true},
		{"terminated, policy adds Killed", job.FailurePolicy{States: []uint64{job.StateKilled}}, job.Properties{JobState: st(job.StateTerminated), ErrorCode: u(0)}, false},
		{"running with ErrorCode", job.FailurePolicy{}, job.Properties{JobState: st(job.StateRunning), ErrorCode: u(5)}, false},
		{"policy names a running state", job.FailurePolicy{States: []uint64{job.StateRunning}}, job.Properties{JobState: st(job.StateRunning)}, false},
		{"no JobState", job.FailurePolicy{}, job.Properties{ErrorCode: u(5)}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.policy.Failed(&tc.props); got != tc.want {
				t.Errorf("Failed = %v, want %v", got, tc.want)
			}
		})
	}
	if (job.FailurePolicy{}).Failed(nil) {
		t.Error("Failed(nil) = true")
	}
}

// listHost starts a simulated host with generated jobs in every state.
func listHost(t testing.TB, jobs int, tr func(wsman.Transport) wsman.Transport) (*simulator.Server, *wsman.Client) {
	t.Helper()
	sim, err := simulator.New(simulator.Options{Scenario: "fleet.json", Jobs: jobs, Seed: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := wsman.Config{URL: url, Auth: &wsman.BasicAuth{Username: "demo", Password: sim.Scenario().Users["demo"]}, AllowUnencrypted: true}
	if tr != nil {
		inner, err := wsman.NewTransport(cfg)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Transport = tr(inner)
	}
	c, err := wsman.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return sim, c
}

// rewriter changes each request envelope before sending it, and keeps
// the envelopes sent.
type rewriter struct {
	wsman.Transport
	edit func([]byte) []byte
	mu   sync.Mutex
	sent [][]byte
}

func (r *rewriter) RoundTrip(ctx context.Context, env []byte) (*wsman.Reply, error) {
	if r.edit != nil {
		env = r.edit(env)
	}
	r.mu.Lock()
	r.sent = append(r.sent, env)
	r.mu.Unlock()
	return r.Transport.RoundTrip(ctx, env)
}

func genState(j simulator.GeneratedJob) uint64 { return uint64(j.JobState) }

func TestList(t *testing.T) {
	// Each profile has 11 states cycled; 99 jobs give every profile every
	// state, and subclass jobs (every 7th of a profile).
	sim, c := listHost(t, 99, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	profiles := []job.Profile{job.HyperV(), job.MSPS(), job.CIM("root/cimv2", "CIM_ConcreteJob")}
	tests := []struct {
		name string
		opt  job.ListOptions
		keep func(simulator.GeneratedJob) bool
	}{
		{"all", job.ListOptions{}, func(simulator.GeneratedJob) bool { return true }},
		{"failed", job.ListOptions{Which: job.Failed}, func(j simulator.GeneratedJob) bool { return j.Failed }},
		{"failed or killed", job.ListOptions{Which: job.Failed, Policy: job.FailurePolicy{States: []uint64{job.StateKilled}}},
			func(j simulator.GeneratedJob) bool { return j.Failed || j.JobState == int(job.StateKilled) }},
		{"running", job.ListOptions{Which: job.Running}, func(j simulator.GeneratedJob) bool { return !job.Terminal(genState(j)) }},
		{"done", job.ListOptions{Which: job.Done}, func(j simulator.GeneratedJob) bool { return job.Terminal(genState(j)) }},
		{"failed, batches of 2", job.ListOptions{Which: job.Failed, BatchSize: 2}, func(j simulator.GeneratedJob) bool { return j.Failed }},
	}
	for _, p := range profiles {
		for _, tc := range tests {
			t.Run(p.Name+"/"+tc.name, func(t *testing.T) {
				got, err := job.List(ctx, c, p, tc.opt)
				if err != nil {
					t.Fatal(err)
				}
				want := map[string]string{}
				for _, j := range sim.GeneratedJobs() {
					if strings.EqualFold(j.Namespace, p.Namespace) && tc.keep(j) {
						want[j.InstanceID] = j.Class
					}
				}
				if len(want) == 0 {
					t.Fatal("the host has no such jobs: the test tests nothing")
				}
				for _, l := range got {
					class, ok := want[l.Ref.InstanceID]
					if !ok {
						t.Errorf("listed %s (%s), not selected", l.Ref.InstanceID, l.Ref.Profile.Class)
						continue
					}
					delete(want, l.Ref.InstanceID)
					if l.Ref.Profile.Class != class {
						t.Errorf("%s listed as %s, it is a %s", l.Ref.InstanceID, l.Ref.Profile.Class, class)
					}
					if l.Properties == nil || l.Properties.JobState == nil {
						t.Errorf("%s listed without its JobState", l.Ref.InstanceID)
					}
				}
				for id := range want {
					t.Errorf("%s not listed", id)
				}
			})
		}
	}
	if n := sim.OpenEnumerations(); n != 0 {
		t.Errorf("%d enumeration contexts left open", n)
	}
}

// The request is the one docs/wire.md describes: a WQL filter on the .../*
// URI, OptimizeEnumeration and MaxElements.
func TestListRequest(t *testing.T) {
	rw := &rewriter{}
	_, c := listHost(t, 20, func(in wsman.Transport) wsman.Transport { rw.Transport = in; return rw })
	since := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	if _, err := job.List(context.Background(), c, job.HyperV(), job.ListOptions{Which: job.Failed, Since: since, BatchSize: 7}); err != nil {
		t.Fatal(err)
	}
	if len(rw.sent) == 0 {
		t.Fatal("nothing sent")
	}
	env := string(rw.sent[0])
	for _, want := range []string{
		"/wmi/root/virtualization/v2/*<",
		"OptimizeEnumeration",
		">7</",
		"SELECT * FROM Msvm_ConcreteJob WHERE (JobState = 10 OR",
		"20261129100000.000000+000",
	} {
		if !strings.Contains(env, want) {
			t.Errorf("Enumerate lacks %q:\n%s", want, env)
		}
	}
}

// A host that ignores the WHERE clause (sends every job) still gives the
// answer the filter asks for: List applies the same rule itself.
func TestListFiltersWhatTheHostSends(t *testing.T) {
	where := regexp.MustCompile(` WHERE [^<]*`)
	rw := &rewriter{edit: func(b []byte) []byte { return where.ReplaceAll(b, nil) }}
	sim, c := listHost(t, 66, func(in wsman.Transport) wsman.Transport { rw.Transport = in; return rw })
	tests := []struct {
		opt  job.ListOptions
		keep func(simulator.GeneratedJob) bool
	}{
		{job.ListOptions{Which: job.Failed}, func(j simulator.GeneratedJob) bool { return j.Failed }},
		{job.ListOptions{Which: job.Running}, func(j simulator.GeneratedJob) bool { return !job.Terminal(genState(j)) }},
		{job.ListOptions{Which: job.Done}, func(j simulator.GeneratedJob) bool { return job.Terminal(genState(j)) }},
	}
	for _, tc := range tests {
		got, err := job.List(context.Background(), c, job.HyperV(), tc.opt)
		if err != nil {
			t.Fatal(err)
		}
		var gotIDs, wantIDs []string
		for _, l := range got {
			gotIDs = append(gotIDs, l.Ref.InstanceID)
		}
		for _, j := range sim.GeneratedJobs() {
			if j.Namespace == "root/virtualization/v2" && tc.keep(j) {
				wantIDs = append(wantIDs, j.InstanceID)
			}
		}
		sort.Strings(gotIDs)
		sort.Strings(wantIDs)
		if strings.Join(gotIDs, " ") != strings.Join(wantIDs, " ") {
			t.Errorf("which %d: got %v\nwant %v", tc.opt.Which, gotIDs, wantIDs)
		}
	}
	for _, env := range rw.sent {
		if bytes.Contains(env, []byte("WHERE")) {
			t.Fatal("the WHERE clause reached the host: the test tests nothing")
		}
	}
}

// Since keeps the jobs started at or after it, and those not started that
// were submitted at or after it, on the host's side and on List's.
func TestListSince(t *testing.T) {
	for _, ignoreWhere := range []bool{false, true} {
		name := "host filters"
		var tr func(wsman.Transport) wsman.Transport
		if ignoreWhere {
			name = "host ignores WHERE"
			where := regexp.MustCompile(` WHERE [^<]*`)
			tr = func(in wsman.Transport) wsman.Transport {
				return &rewriter{Transport: in, edit: func(b []byte) []byte { return where.ReplaceAll(b, nil) }}
			}
		}
		t.Run(name, func(t *testing.T) {
			_, c := listHost(t, 66, tr)
			ctx := context.Background()
			all, err := job.List(ctx, c, job.HyperV(), job.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			at := func(l job.Listed) time.Time {
				if d := l.Properties.StartTime; d != nil {
					return d.Time
				}
				text, _ := l.Properties.Instance.Property("TimeSubmitted").Text()
				d, err := cim.ParseDatetime(text)
				if err != nil {
					t.Fatalf("%s: neither StartTime nor TimeSubmitted: %v", l.Ref.InstanceID, err)
				}
				return d.Time
			}
			var times []time.Time
			for _, l := range all {
				times = append(times, at(l))
			}
			sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
			since := times[len(times)/2]
			want := map[string]bool{}
			for _, l := range all {
				if !at(l).Before(since) {
					want[l.Ref.InstanceID] = true
				}
			}
			got, err := job.List(ctx, c, job.HyperV(), job.ListOptions{Since: since})
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range got {
				if !want[l.Ref.InstanceID] {
					t.Errorf("%s listed, started %v before %v", l.Ref.InstanceID, at(l), since)
				}
				delete(want, l.Ref.InstanceID)
			}
			for id := range want {
				t.Errorf("%s not listed", id)
			}
		})
	}
}

func TestWait(t *testing.T) {
	sim, c := listHost(t, 33, nil)
	var failed, running, completed simulator.GeneratedJob
	for _, j := range sim.GeneratedJobs() {
		if j.Namespace != "root/virtualization/v2" {
			continue
		}
		switch {
		case j.Failed && failed.InstanceID == "":
			failed = j
		case j.JobState == int(job.StateRunning) && running.InstanceID == "":
			running = j
		case j.JobState == int(job.StateCompleted) && !j.Failed && completed.InstanceID == "":
			completed = j
		}
	}
	ref := func(j simulator.GeneratedJob) job.Ref {
		p := job.HyperV()
		p.Class = j.Class
		return job.Ref{Profile: p, InstanceID: j.InstanceID}
	}
	fast := job.WaitOptions{PollMin: time.Millisecond, PollMax: 4 * time.Millisecond}

	t.Run("failed", func(t *testing.T) {
		polls := 0
		opt := fast
		opt.Progress = func(*job.Properties) { polls++ }
		res, err := job.Wait(context.Background(), c, ref(failed), opt)
		if err != nil {
			t.Fatal(err)
		}
		if polls != 1 || res.Job == nil || res.Succeeded() {
			t.Errorf("polls %d, job %v, succeeded %v: want one poll and the job's errors", polls, res.Job, res.Succeeded())
		}
	})
	t.Run("completed", func(t *testing.T) {
		res, err := job.Wait(context.Background(), c, ref(completed), fast)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Succeeded() || res.Job == nil || res.Job.JobState.Value != job.StateCompleted {
			t.Errorf("got %+v, want a completed job that succeeded", res)
		}
	})
	t.Run("running until ctx ends", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		polls := 0
		opt := fast
		opt.Progress = func(p *job.Properties) {
			if polls++; polls == 5 {
				cancel()
			}
		}
		_, err := job.Wait(ctx, c, ref(running), opt)
		if !errors.Is(err, context.Canceled) || polls != 5 {
			t.Errorf("err %v after %d polls, want context.Canceled after 5", err, polls)
		}
		// The host answered every poll: the error says the job is still
		// running and keeps what the last poll read.
		var sr *job.StillRunningError
		if !errors.As(err, &sr) || sr.Last == nil || sr.Last.JobState == nil || sr.Last.JobState.Value != job.StateRunning {
			t.Fatalf("err %v (%T), want *StillRunningError with the last state Running", err, err)
		}
		if sr.Ref.InstanceID != running.InstanceID || !strings.Contains(err.Error(), "still Running") {
			t.Errorf("err %q for %s, want it to say the job is still Running", err, running.InstanceID)
		}
	})
	t.Run("vanished", func(t *testing.T) {
		r := ref(running)
		r.InstanceID = "00000000-0000-4000-8000-00000000FFFF"
		_, err := job.Wait(context.Background(), c, r, fast)
		var nf *job.NotFoundError
		if !errors.As(err, &nf) {
			t.Errorf("err %v, want *NotFoundError", err)
		}
	})
}
