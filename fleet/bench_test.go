package fleet_test

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/fleet"
	"github.com/cimjob/cimjob/simulator"
)

// The figures of issue 8: 200 hosts, 50 ms added to every request, Check
// with 50 hosts at once.
const (
	benchHosts    = 200
	benchLatency  = 50 * time.Millisecond
	benchParallel = 50
)

// BenchmarkCheck200Hosts reports ratio: the run's wall time over the ideal,
// which is every request the answering hosts needed (counted by the
// simulator, NTLM handshake legs included) times the added latency, spread
// perfectly over benchParallel workers: 4 waves × each host's requests ×
// 50 ms. The target is ≤ 1.3.
func BenchmarkCheck200Hosts(b *testing.B) {
	benchCheck(b, simulator.FleetOptions{Hosts: benchHosts, Latency: benchLatency, Seed: 1, Profiles: []string{"hyperv"}}, 0)
}

// BenchmarkCheck200HostsHangDrop has two hanging and two dropping hosts
// with a 3 s deadline each: they end at their deadline (hang-end is the
// hanging hosts' longest duration over it), and the ideal is the larger of
// the perfectly spread worker time (their time in a worker included) and
// one deadline.
func BenchmarkCheck200HostsHangDrop(b *testing.B) {
	benchCheck(b, simulator.FleetOptions{Hosts: benchHosts, Latency: benchLatency, Seed: 1, Profiles: []string{"hyperv"},
		Hang: 0.01, Drop: 0.01}, 3*time.Second)
}

func benchCheck(b *testing.B, opt simulator.FleetOptions, hostTimeout time.Duration) {
	f := startFleet(b, opt)
	ts := targets(f, false)
	beh := behaviourOf(f)
	want := wantFailed(f, "root/virtualization/v2")
	probe := fleet.Check(job.HyperV(), job.ListOptions{}, job.Options{})
	var wall, ideal time.Duration
	var hangEnd float64
	for i := 0; i < b.N; i++ {
		before := f.Stats()
		start := time.Now()
		got, sum := collect(context.Background(), ts, fleet.Options{Parallel: benchParallel, HostTimeout: hostTimeout}, probe)
		wall += time.Since(start)
		after := f.Stats()
		var busy time.Duration // worker time the ideal run needs
		for k, hs := range after {
			if beh[hs.Name] == simulator.BehaviourNormal {
				busy += time.Duration(hs.Stats.Requests-before[k].Stats.Requests) * opt.Latency
			}
		}
		lastNormal := -1
		for k, r := range got {
			if beh[r.Host] != simulator.BehaviourNormal {
				if r.Status != fleet.Unreachable || beh[r.Host] == simulator.BehaviourHang && !errors.Is(r.Err, context.DeadlineExceeded) {
					b.Fatalf("%s (%s): %s, %v", r.Host, beh[r.Host], r.Status, r.Err)
				}
				busy += r.Duration
				if beh[r.Host] == simulator.BehaviourHang {
					hangEnd = max(hangEnd, r.Duration.Seconds()/hostTimeout.Seconds())
				}
				continue
			}
			lastNormal = k
			var ids []string
			for _, fj := range r.FailedJobs {
				if fj.Result == nil || fj.Result.Succeeded() {
					b.Fatalf("%s %s: no error reported (%v)", r.Host, fj.Ref.InstanceID, fj.Err)
				}
				ids = append(ids, fj.Ref.InstanceID)
			}
			sort.Strings(ids)
			if strings.Join(ids, " ") != strings.Join(want[r.Host], " ") {
				b.Fatalf("%s: failed jobs %v, want exactly %v", r.Host, ids, want[r.Host])
			}
		}
		if len(got) != benchHosts || sum.Cancelled || lastNormal < 0 {
			b.Fatalf("%d hosts reported, summary %+v", len(got), sum)
		}
		// A hanging host cannot end before its deadline, however well
		// the run is scheduled.
		ideal += max(busy/benchParallel, hostTimeout)
	}
	b.ReportMetric(wall.Seconds()/ideal.Seconds(), "ratio")
	b.ReportMetric(wall.Seconds()/float64(b.N), "s/run")
	if hostTimeout > 0 {
		b.ReportMetric(hangEnd, "hang-end")
	}
}
