package fleet_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/fleet"
)

func failedJob(id, msgID string) fleet.FailedJob {
	p := job.HyperV()
	state := p.JobStateMap.Lookup(job.StateException)
	sev := cim.CIMErrorPerceivedSeverity.Lookup(5)
	code := cim.CIMErrorCIMStatusCode.Lookup(1)
	l := job.Listed{Ref: job.Ref{Profile: p, InstanceID: id}, Properties: &job.Properties{JobState: &state}}
	return fleet.FailedJob{Listed: l, Result: &job.Result{Ref: l.Ref, Errors: []*cim.Error{{MessageID: msgID, Message: "free text", PerceivedSeverity: &sev, CIMStatusCode: &code}}}}
}

// gather registers the collector in a fresh pedantic registry, as the
// writer and an exporter do, and returns the series per family.
func gather(t *testing.T, rs ...*fleet.HostResult) map[string][]string {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(fleet.NewCollector(rs...))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	got := map[string][]string{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			got[mf.GetName()] = append(got[mf.GetName()], strings.Join(labels, ","))
		}
	}
	return got
}

func TestCollector(t *testing.T) {
	long := strings.Repeat("A", 1000)
	rs := []*fleet.HostResult{
		{Host: "hv01", Status: fleet.Failed, Duration: time.Second, FailedJobs: []fleet.FailedJob{
			failedJob("J1", "32788"),
			failedJob("J1", "32788"), // listed twice: one series
			failedJob(long+"\n", "id with spaces\x1b[0m"),
		}},
		{Host: "hv01", Status: fleet.Unreachable, Err: errors.New("again")}, // named twice: the first stands
		{Host: "hv02", Status: fleet.Unreachable, Err: errors.New("down")},
		{Host: "hv03", Status: fleet.Healthy},
	}
	got := gather(t, rs...)
	for name, n := range map[string]int{
		fleet.MetricHostUp: 3, fleet.MetricHostProbeDuration: 3, fleet.MetricHostFailedJobs: 2,
		fleet.MetricFailedJobInfo: 2, fleet.MetricJobs: 1,
	} {
		if len(got[name]) != n {
			t.Errorf("%s: %d series, want %d: %q", name, len(got[name]), n, got[name])
		}
	}
	for _, s := range got[fleet.MetricFailedJobInfo] {
		if strings.Contains(s, "free text") || strings.ContainsAny(s, " \n\x1b") || len(s) > 400 {
			t.Errorf("info series with unbounded or free-text labels: %q", s)
		}
	}
	if want := "host=hv01,profile=hyperv,state=Exception,type="; got[fleet.MetricJobs][0] != want {
		t.Errorf("jobs series %q, want %q", got[fleet.MetricJobs][0], want)
	}
}

// A node_exporter textfile: the results of a run in the text exposition
// format. (A cron job writes it to a temporary file and renames it into
// the collector's directory.)
func ExampleNewCollector() {
	results := []*fleet.HostResult{
		{Host: "hv01.example.com", Status: fleet.Healthy, Duration: 1500 * time.Millisecond},
		{Host: "hv02.example.com", Status: fleet.Unreachable, Err: errors.New("connection refused"), Duration: 2 * time.Millisecond},
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(fleet.NewCollector(results...))
	families, err := reg.Gather()
	if err != nil {
		panic(err)
	}
	enc := expfmt.NewEncoder(os.Stdout, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range families {
		if mf.GetName() == fleet.MetricHostUp {
			if err := enc.Encode(mf); err != nil {
				panic(err)
			}
		}
	}
	// Output:
	// # HELP cimjob_host_up 1 if the host answered the probe, 0 if it was unreachable.
	// # TYPE cimjob_host_up gauge
	// cimjob_host_up{host="hv01.example.com"} 1
	// cimjob_host_up{host="hv02.example.com"} 0
}

func TestOldestRunningJobStart(t *testing.T) {
	hv, msps := job.HyperV(), job.MSPS()
	at := func(p job.Profile, state uint64, start string) job.Listed {
		props := &job.Properties{}
		if state != 0 {
			s := p.JobStateMap.Lookup(state)
			props.JobState = &s
		}
		if start != "" {
			d, err := cim.ParseDatetime(start)
			if err != nil {
				t.Fatal(err)
			}
			props.StartTime = d
		}
		return job.Listed{Ref: job.Ref{Profile: p}, Properties: props}
	}
	tests := []struct {
		name string
		jobs []job.Listed
		want []string // profile=value
	}{
		{"none", nil, nil},
		{"oldest of the running", []job.Listed{
			at(hv, job.StateRunning, "2026-01-02T00:00:00Z"),
			at(hv, job.StateSuspended, "2026-01-01T00:00:00.5Z"),
			at(hv, job.StateCompleted, "2025-01-01T00:00:00Z"),    // ended
			at(hv, job.StateException, "2025-01-01T00:00:00Z"),    // ended
			at(hv, 0, "2024-01-01T00:00:00Z"),                     // no JobState
			at(hv, job.StateNew, ""),                              // not started
			at(hv, job.StateRunning, "00000000000000.000000+000"), // "cannot be reported"
			at(msps, job.StateRunning, "2026-03-01T00:00:00Z"),
		}, []string{"hyperv=1.7672256005e+09", "msps=1.7723232e+09"}},
		{"only ended", []job.Listed{at(hv, job.StateKilled, "2026-01-02T00:00:00Z")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewPedanticRegistry()
			reg.MustRegister(fleet.NewCollector(&fleet.HostResult{Host: "hv01", Status: fleet.Healthy, Jobs: tt.jobs}))
			mfs, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, mf := range mfs {
				if mf.GetName() != fleet.MetricOldestRunningJobStart {
					continue
				}
				for _, m := range mf.GetMetric() {
					var profile string
					for _, l := range m.GetLabel() {
						if l.GetName() == "profile" {
							profile = l.GetValue()
						}
					}
					got = append(got, fmt.Sprintf("%s=%g", profile, m.GetGauge().GetValue()))
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// CompactResult keeps exactly what the info series shows: the series of a
// compacted result equals the full one's.
func TestCompactResult(t *testing.T) {
	full := failedJob("J1", strings.Repeat("M", 300))
	full.Result.Notes = []string{"note"}
	full.Result.Errors = append(full.Result.Errors, &cim.Error{MessageID: "second"})
	compact := full
	compact.Result = fleet.CompactResult(full.Result)
	if compact.Result.Errors[0].Message != "" || len(compact.Result.Errors) != 1 || compact.Result.Notes != nil {
		t.Errorf("CompactResult kept more than the labels need: %+v", compact.Result)
	}
	a := gather(t, &fleet.HostResult{Host: "h", Status: fleet.Failed, FailedJobs: []fleet.FailedJob{full}})
	b := gather(t, &fleet.HostResult{Host: "h", Status: fleet.Failed, FailedJobs: []fleet.FailedJob{compact}})
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("series differ:\n full    %q\n compact %q", a, b)
	}
	if fleet.CompactResult(nil) != nil {
		t.Error("CompactResult(nil) is not nil")
	}
}
