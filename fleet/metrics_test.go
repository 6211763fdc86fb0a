package fleet_test

import (
	"errors"
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
