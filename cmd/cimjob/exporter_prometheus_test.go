package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/simulator"
	"github.com/cimjob/cimjob/wsman"
)

// The alerts of the shipped rules (deploy/prometheus/cimjob-rules.yml).
const (
	alertFailedJob       = "CimjobFailedJob"
	alertHostUnprobeable = "CimjobHostUnprobeable"
	alertRunningTooLong  = "CimjobJobRunningTooLong"
	// alertHeldBack is about the exporter (its instance), not a host.
	alertHeldBack = "CimjobCredentialsHeldBack"
)

// integrationDeadline bounds the wait for scrapes and rule evaluations:
// generous, since a loaded machine running -race is slow, and only there
// so that a broken pipeline fails rather than hangs.
const integrationDeadline = 3 * time.Minute

// TestExporterWithPrometheus runs Debian's Prometheus server with the
// shipped scrape config and rules against `cimjob exporter` in front of four
// simulated hosts (healthy, with failed jobs, unreachable, wrong password)
// and reads through Prometheus's HTTP API what it scraped and which alerts
// fire, comparing with what the hosts answer directly.
func TestExporterWithPrometheus(t *testing.T) {
	bin := needPrometheus(t)
	hosts := startIntegrationHosts(t)
	truth := map[string]hostTruth{}
	for _, h := range []*integrationHost{hosts.healthy, hosts.failed} {
		truth[h.target] = readHostTruth(t, h, hosts.password)
	}
	if n := len(truth[hosts.healthy.target].failed); n != 0 {
		t.Fatalf("the healthy host has %d failed jobs", n)
	}
	if len(truth[hosts.failed.target].failed) == 0 {
		t.Fatal("the host with failed jobs has none")
	}
	for target, tr := range truth {
		// The simulator's jobs started in the day before it did, which
		// the shipped rule finds too long for one still running.
		if tr.oldestRunning.IsZero() {
			t.Fatalf("%s lists no running job that started", target)
		}
		t.Logf("%s: oldest running job started %v ago", target, time.Since(tr.oldestRunning).Round(time.Minute))
	}

	dir := t.TempDir()
	exp := startIntegrationExporter(t, dir, hosts.password)

	// The targets file: a file_sd list as the shipped one holds host names.
	targetsDir := filepath.Join(dir, "targets")
	if err := os.MkdirAll(targetsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	all := hosts.all()
	var list strings.Builder
	list.WriteString("- targets:\n")
	for _, h := range all {
		if h != hosts.authFail {
			fmt.Fprintf(&list, "    - %q\n", h.target)
		}
	}
	// The host refusing the password is probed with a module of its own,
	// picked by its target group's module label, as a host with its own
	// account would be: under the others' module, a refusal before any
	// host accepted the password would hold all of them back for the
	// exporter's credential back-off (minutes).
	fmt.Fprintf(&list, "- targets: [%q]\n  labels:\n    module: %s\n", hosts.authFail.target, authFailModule)
	if err := os.WriteFile(filepath.Join(targetsDir, "integration.yml"), []byte(list.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgPath, shipped := writeTestPrometheusConfig(t, dir, promTestSettings{
		ExporterAddr: strings.TrimPrefix(exp.url, "http://"),
		TargetsGlob:  filepath.Join(targetsDir, "*.yml"),
		Interval:     "2s",
		Timeout:      "2s",
		For:          "2s",
	})
	probeJob := probeJobName(t, shipped)
	prom := startPrometheus(t, bin, cfgPath, filepath.Join(dir, "data"))
	deadline := time.Now().Add(integrationDeadline)

	// Every host scraped through the exporter, which answers 200 whether
	// the host did or not.
	eventually(t, deadline, "every host scraped (up == 1 in job "+probeJob+")", func(ctx context.Context) (bool, string, error) {
		v, err := prom.query(ctx, fmt.Sprintf(`up{job=%q}`, probeJob))
		if err != nil {
			return false, "", err
		}
		got := byInstance(v)
		for _, h := range all {
			if got[h.target] != "1" {
				return false, samplesString(v), nil
			}
		}
		return true, "", nil
	})

	eventually(t, deadline, "cimjob_probe_success 1 for the healthy and the failed host, 0 for the unreachable and the wrong password", func(ctx context.Context) (bool, string, error) {
		v, err := prom.query(ctx, `cimjob_probe_success`)
		if err != nil {
			return false, "", err
		}
		got := byInstance(v)
		for _, h := range all {
			if got[h.target] != h.wantSuccess {
				return false, samplesString(v), nil
			}
		}
		return true, "", nil
	})

	eventually(t, deadline, "cimjob_probe_failure_info says why each failed host failed", func(ctx context.Context) (bool, string, error) {
		v, err := prom.query(ctx, `cimjob_probe_failure_info == 1`)
		if err != nil {
			return false, "", err
		}
		reasons := map[string]string{}
		for _, s := range v {
			reasons[s.Metric["instance"]] += s.Metric["reason"]
		}
		for _, h := range all {
			if reasons[h.target] != h.wantReason {
				return false, samplesString(v), nil
			}
		}
		return true, "", nil
	})

	want := truth[hosts.failed.target].failed
	eventually(t, deadline, "cimjob_failed_job_info of the failed host as job.GetErrors reads its jobs", func(ctx context.Context) (bool, string, error) {
		v, err := prom.query(ctx, fmt.Sprintf(`cimjob_failed_job_info{instance=%q}`, hosts.failed.target))
		if err != nil {
			return false, "", err
		}
		got := make([]string, 0, len(v))
		for _, s := range v {
			if s.value() != "1" {
				return false, samplesString(v), nil
			}
			got = append(got, failedJobKey(s.Metric))
		}
		sort.Strings(got)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			return false, fmt.Sprintf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n")), nil
		}
		return true, "", nil
	})
	eventually(t, deadline, "cimjob_jobs of the hosts that answered count every job they list", func(ctx context.Context) (bool, string, error) {
		v, err := prom.query(ctx, `sum by (instance) (cimjob_jobs)`)
		if err != nil {
			return false, "", err
		}
		got := byInstance(v)
		for target, tr := range truth {
			if got[target] != strconv.Itoa(tr.jobs) {
				return false, fmt.Sprintf("%s\nwant %s: %d", samplesString(v), target, tr.jobs), nil
			}
		}
		return true, "", nil
	})
	eventually(t, deadline, "cimjob_oldest_running_job_start_timestamp_seconds of the hosts that answered is their oldest running job's StartTime", func(ctx context.Context) (bool, string, error) {
		v, err := prom.query(ctx, `cimjob_oldest_running_job_start_timestamp_seconds`)
		if err != nil {
			return false, "", err
		}
		got := byInstance(v)
		for target, tr := range truth {
			ts, err := strconv.ParseFloat(got[target], 64)
			want := float64(tr.oldestRunning.UnixMicro()) / 1e6
			if err != nil || math.Abs(ts-want) > 1e-3 {
				return false, fmt.Sprintf("%s\nwant %s: %.6f", samplesString(v), target, want), nil
			}
		}
		return true, "", nil
	})
	ctx := context.Background()
	for _, h := range []*integrationHost{hosts.healthy, hosts.unreachable, hosts.authFail} {
		v, err := prom.query(ctx, fmt.Sprintf(`cimjob_failed_job_info{instance=%q}`, h.target))
		if err != nil {
			t.Fatal(err)
		}
		if len(v) != 0 {
			t.Errorf("%s host %s has failed job series:\n%s", h.role, h.target, samplesString(v))
		}
	}

	// The alerts, through the shipped rules.
	wantAlerts := map[string]map[string]bool{ // alert -> instance -> firing
		alertFailedJob:       {hosts.failed.target: true},
		alertHostUnprobeable: {hosts.unreachable.target: true, hosts.authFail.target: true},
		alertRunningTooLong:  {hosts.healthy.target: true, hosts.failed.target: true},
		// The wrong password's module: its credentials are held back.
		alertHeldBack: {strings.TrimPrefix(exp.url, "http://"): true},
	}
	var lastAlerts []promAlert
	eventually(t, deadline, "the shipped alerts firing for the right hosts", func(ctx context.Context) (bool, string, error) {
		alerts, err := prom.alerts(ctx)
		if err != nil {
			return false, "", err
		}
		lastAlerts = alerts
		got := map[string]map[string]bool{}
		var seen []string
		for _, a := range alerts {
			seen = append(seen, a.State+" "+labelString(a.Labels, false))
			if a.State != "firing" {
				continue
			}
			name := a.Labels["alertname"]
			if got[name] == nil {
				got[name] = map[string]bool{}
			}
			got[name][a.Labels["instance"]] = true
		}
		sort.Strings(seen)
		for name, inst := range wantAlerts {
			for target := range inst {
				if !got[name][target] {
					return false, strings.Join(seen, "\n"), nil
				}
			}
		}
		// Nothing else fires: not these alerts for other hosts, nor the
		// shipped alerts about the exporter or its scrapes.
		for name, inst := range got {
			for target := range inst {
				if !wantAlerts[name][target] {
					return false, "unexpected firing " + name + " for " + target + ":\n" + strings.Join(seen, "\n"), nil
				}
			}
		}
		return true, "", nil
	})
	t.Logf("%d failed jobs on %s match job.GetErrors; %d alerts active", len(want), hosts.failed.target, len(lastAlerts))
	for _, a := range lastAlerts {
		if a.Labels["alertname"] == alertHeldBack && a.State == "firing" && a.Labels["module"] != authFailModule {
			t.Errorf("%s names module %q, want %q (the wrong password's)", alertHeldBack, a.Labels["module"], authFailModule)
		}
		if a.Labels["alertname"] == alertHostUnprobeable && a.State == "firing" {
			// The description reads the failure reason from the probe's
			// cimjob_probe_failure_info.
			for _, h := range all {
				if a.Labels["instance"] == h.target && !strings.Contains(a.Annotations["description"], "last reason: "+h.wantReason+".") {
					t.Errorf("%s for %s: the description does not give the reason %s: %q", alertHostUnprobeable, h.target, h.wantReason, a.Annotations["description"])
				}
			}
		}
		for k, v := range a.Annotations {
			// A template that does not expand leaves this in the text.
			if strings.Contains(v, "error expanding") || strings.Contains(v, "<no value>") {
				t.Errorf("alert %s annotation %s did not expand: %q", a.Labels["alertname"], k, v)
			}
		}
	}

	// The log searched for the password below is the real one: a debug
	// line per probe, naming its target.
	for _, h := range all {
		if !strings.Contains(exp.stderr.String(), h.target) {
			t.Errorf("the exporter's debug log never names target %s", h.target)
		}
	}
	checkNoSecret(t, hosts.password, prom, exp)
}

// integrationHost is one simulated host the exporter probes.
type integrationHost struct {
	role        string // healthy, failed, unreachable, wrong password
	target      string // the target as Prometheus names it: 127.0.0.1:port
	url         string // its WS-Man endpoint ("" when unreachable)
	wantSuccess string // cimjob_probe_success
	wantReason  string // cimjob_probe_failure_info's reason ("" on success)
}

type integrationHosts struct {
	healthy, failed, unreachable, authFail *integrationHost
	password                               string // the exporter's secret
}

func (h *integrationHosts) all() []*integrationHost {
	return []*integrationHost{h.healthy, h.failed, h.unreachable, h.authFail}
}

// integrationFleetSeed makes the simulated hosts' jobs.
const integrationFleetSeed = 7

// startIntegrationHosts starts the simulated hosts: Hyper-V jobs only, as
// the shipped scrape config asks for module hyperv.
func startIntegrationHosts(t *testing.T) *integrationHosts {
	t.Helper()
	start := func(opt simulator.FleetOptions) *simulator.Fleet {
		opt.Profiles, opt.Seed = []string{job.NameHyperV}, integrationFleetSeed
		f, err := simulator.NewFleet(opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	healthy := start(simulator.FleetOptions{Hosts: 1, NoFailedJobs: true}).Hosts()[0]
	// Two hosts, one refusing the scenario's password.
	var failed, authFail simulator.HostInfo
	for _, h := range start(simulator.FleetOptions{Hosts: 2, AuthFail: 0.5}).Hosts() {
		if h.Behaviour == simulator.BehaviourAuthFail {
			authFail = h
		} else {
			failed = h
		}
	}
	if failed.Server == nil || authFail.Server == nil {
		t.Fatal("the fleet has no normal host or no host refusing the password")
	}
	password := healthy.Server.Scenario().Users[demoUserName]
	if password == "" {
		t.Fatalf("the fleet scenario has no user %s", demoUserName)
	}
	target := func(u string) string {
		h, p, err := net.SplitHostPort(strings.TrimSuffix(strings.TrimPrefix(u, "http://"), "/wsman"))
		if err != nil {
			t.Fatalf("fleet host URL %s: %v", u, err)
		}
		return net.JoinHostPort(h, p)
	}
	// A closed port: bound a moment ago, so nothing listens there now.
	closed := freeLoopbackAddr(t)
	return &integrationHosts{
		healthy:     &integrationHost{role: "healthy", target: target(healthy.URL), url: healthy.URL, wantSuccess: "1"},
		failed:      &integrationHost{role: "failed jobs", target: target(failed.URL), url: failed.URL, wantSuccess: "1"},
		unreachable: &integrationHost{role: "unreachable", target: closed, wantSuccess: "0", wantReason: "transport"},
		authFail:    &integrationHost{role: "wrong password", target: target(authFail.URL), url: authFail.URL, wantSuccess: "0", wantReason: "auth"},
		password:    password,
	}
}

// hostTruth is what a host answers when asked directly.
type hostTruth struct {
	// failed: one failedJobKey per failed job, sorted.
	failed []string
	// oldestRunning: the StartTime of the oldest job that started and has
	// not ended.
	oldestRunning time.Time
	// jobs: how many jobs the host lists.
	jobs int
}

// readHostTruth lists the host's jobs and asks each failed one for its
// errors with job.GetErrors, as a client of the library would.
func readHostTruth(t *testing.T, h *integrationHost, password string) hostTruth {
	t.Helper()
	c, err := wsman.NewClient(wsman.Config{
		URL:              h.url,
		Auth:             &wsman.BasicAuth{Username: demoUserName, Password: password},
		AllowUnencrypted: true, // the simulator speaks plain HTTP on loopback
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	jobs, err := job.List(ctx, c, job.HyperV(), job.ListOptions{Which: job.All})
	if err != nil {
		t.Fatalf("%s: %v", h.target, err)
	}
	tr := hostTruth{jobs: len(jobs)}
	for _, l := range jobs {
		p := l.Properties
		if p.JobState != nil && !job.Terminal(p.JobState.Value) && p.StartTime != nil && !p.StartTime.Time.IsZero() {
			if tr.oldestRunning.IsZero() || p.StartTime.Time.Before(tr.oldestRunning) {
				tr.oldestRunning = p.StartTime.Time
			}
		}
		// The module sets no failed_states: the default policy.
		if !(job.FailurePolicy{}).Failed(p) {
			continue
		}
		res, err := job.GetErrors(ctx, c, l.Ref, job.Options{})
		if err != nil {
			t.Fatalf("%s: GetErrors %s: %v", h.target, l.Ref.InstanceID, err)
		}
		m := map[string]string{
			"profile":     l.Ref.Profile.Name,
			"instance_id": l.Ref.InstanceID,
			"job_type":    enumLabelOf(res.Job.JobType),
		}
		if len(res.Errors) > 0 {
			e := res.Errors[0]
			m["message_id"] = e.MessageID
			m["severity"] = enumLabelOf(e.PerceivedSeverity)
			if e.CIMStatusCode != nil {
				m["cim_status_code"] = strconv.FormatUint(e.CIMStatusCode.Value, 10)
			}
		}
		tr.failed = append(tr.failed, failedJobKey(m))
	}
	sort.Strings(tr.failed)
	return tr
}

// enumLabelOf is how a cimjob_failed_job_info label shows a CIM enumeration:
// its value map's name, "unlisted" for a value the map does not name, ""
// for NULL.
func enumLabelOf(e *cim.Enum) string {
	switch {
	case e == nil:
		return ""
	case e.Name == "":
		return "unlisted"
	}
	return e.Name
}

// failedJobKey is a failed job's labels that the host's answer decides.
func failedJobKey(m map[string]string) string {
	keys := []string{"profile", "instance_id", "job_type", "message_id", "severity", "cim_status_code"}
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, m[k])
	}
	return strings.Join(parts, " ")
}

// byInstance maps a vector's instance label to its value.
func byInstance(v []promSample) map[string]string {
	out := make(map[string]string, len(v))
	for _, s := range v {
		out[s.Metric["instance"]] = s.value()
	}
	return out
}

// probeJobName is the job_name of the shipped scrape config that probes
// hosts through the exporter.
func probeJobName(t *testing.T, cfg map[string]any) string {
	t.Helper()
	scs, _ := cfg["scrape_configs"].([]any)
	for _, e := range scs {
		if sc, _ := e.(map[string]any); sc != nil && isProbeJob(sc) {
			if n, _ := sc["job_name"].(string); n != "" {
				return n
			}
		}
	}
	t.Fatalf("the shipped %s has no scrape config with metrics_path /probe", shippedPrometheusConfig)
	return ""
}

// authFailModule is the module of the host that refuses the password.
const authFailModule = "hyperv-local"

// startIntegrationExporter runs `cimjob exporter` in-process (see
// startExporter) with the module the shipped scrape config names
// (params: module: [hyperv]), and authFailModule; hyperv and NTLM are the
// module defaults. The
// password comes from the environment, never from the file. Its log is
// printed if the test failed.
func startIntegrationExporter(t *testing.T, dir, password string) *exporterRun {
	t.Helper()
	cfg := writeExporterConfig(t, filepath.Join(dir, "exporter.yml"), exporterModules("hyperv", authFailModule))
	e := startExporter(t, map[string]string{envTestPassword: password}, "--config.file", cfg, "--log.level", "debug")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("--- cimjob exporter log:\n%s", tail(e.stderr.String(), 16000))
		}
	})
	return e
}

// checkNoSecret looks for the exporter's password in everything
// Prometheus stored and shows (series labels, targets, alerts), in the
// exporter's log, landing page and own metrics, and in Prometheus's log.
func checkNoSecret(t *testing.T, secret string, prom *promServer, exp *exporterRun) {
	t.Helper()
	ctx := context.Background()
	found := func(where, text string) {
		t.Helper()
		if strings.Contains(text, secret) {
			t.Errorf("the exporter's password appears in %s", where)
		}
	}
	series, err := prom.series(ctx, `{__name__=~".+"}`)
	if err != nil {
		t.Fatal(err)
	}
	cimjob := 0
	for _, s := range series {
		if strings.HasPrefix(s["__name__"], "cimjob_") {
			cimjob++
		}
		found("series "+labelString(s, true), labelString(s, true))
	}
	if cimjob == 0 {
		t.Errorf("Prometheus holds no cimjob_ series among %d", len(series))
	}
	targets, err := prom.targets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range targets {
		found("target "+tg.ScrapeURL, labelString(tg.DiscoveredLabels, true)+labelString(tg.Labels, true)+tg.ScrapeURL+tg.LastError)
	}
	alerts, err := prom.alerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range alerts {
		found("alert "+labelString(a.Labels, false), labelString(a.Labels, false)+labelString(a.Annotations, false))
	}
	for _, path := range []string{"/", "/metrics"} {
		resp, err := http.Get(exp.url + path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIBody))
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		found("the exporter's "+path, string(body))
	}
	found("the exporter's log", exp.stderr.String()+exp.stdout.String())
	found("Prometheus's log", prom.logs.String())
}
