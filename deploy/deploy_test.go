package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/cimjob/cimjob/exporter"
	"github.com/cimjob/cimjob/fleet"
	"github.com/cimjob/cimjob/internal/testdeps"
)

// The Debian packages of the tools the tests run; .ci/run installs both.
const (
	promtoolPackage = "prometheus"
	systemdPackage  = "systemd"
)

// The shipped files, relative to this package.
const (
	promDir      = "prometheus"
	scrapeConfig = "prometheus.yml"
	rulesFile    = "cimjob-rules.yml"
	rulesTest    = "cimjob-rules_test.yml"
	exporterYAML = "exporter.yml"
	unitFile     = "systemd/cimjob-exporter.service"
	metricsDoc   = "../docs/exporter.md"
)

// needTool is the path of tool, from Debian package pkg, or ends t the
// testdeps way.
func needTool(t *testing.T, tool, pkg string) string {
	t.Helper()
	testdeps.CheckCIInstalls(t, pkg)
	path, err := exec.LookPath(tool)
	if err != nil {
		testdeps.Missing(t, fmt.Errorf("no %s on PATH (Debian package %s): %v", tool, pkg, err))
	}
	return path
}

// run runs tool in dir and fails t unless it succeeds; it returns stdout.
func run(t *testing.T, dir, tool string, args ...string) []byte {
	t.Helper()
	out, err := runErr(dir, tool, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// runErr runs tool in dir; the error carries its output.
func runErr(dir, tool string, args ...string) ([]byte, error) {
	cmd := exec.Command(tool, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %v\n%s%s", filepath.Base(tool), strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.Bytes(), nil
}

// TestRules checks the alert rules and runs their unit tests.
func TestRules(t *testing.T) {
	promtool := needTool(t, "promtool", promtoolPackage)
	run(t, promDir, promtool, "check", "rules", rulesFile)
	run(t, promDir, promtool, "test", "rules", rulesTest)
}

// TestRulesTestsCatchChanges makes sure the rules' unit tests can fail:
// each change of an alert's expression, `for` or annotation, made in a
// copy, must make promtool test rules fail.
func TestRulesTestsCatchChanges(t *testing.T) {
	promtool := needTool(t, "promtool", promtoolPackage)
	rules, err := os.ReadFile(filepath.Join(promDir, rulesFile))
	if err != nil {
		t.Fatal(err)
	}
	tests, err := os.ReadFile(filepath.Join(promDir, rulesTest))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct{ name, old, new string }{
		{"CimjobFailedJob keeps the error labels", "max without (message_id, severity, cim_status_code) (cimjob_failed_job_info)", "cimjob_failed_job_info"},
		{"CimjobFailedJob waits", "(cimjob_failed_job_info)\n        labels:", "(cimjob_failed_job_info)\n        for: 2m\n        labels:"},
		{"CimjobHostUnprobeable after 9m", "expr: cimjob_probe_success == 0\n        for: 10m", "expr: cimjob_probe_success == 0\n        for: 9m"},
		{"CimjobHostUnprobeable after 11m", "expr: cimjob_probe_success == 0\n        for: 10m", "expr: cimjob_probe_success == 0\n        for: 11m"},
		{"CimjobHostUnprobeable needs a reason series", "expr: cimjob_probe_success == 0\n", "expr: cimjob_probe_success == 0 and on (job, instance) cimjob_probe_failure_info\n"},
		{"CimjobHostUnprobeable without a reason", `{{ else }}unknown{{ end }}`, `{{ end }}`},
		{"CimjobProbeScrapeFailed after 9m", "expr: up{job=\"cimjob\"} == 0\n        for: 10m", "expr: up{job=\"cimjob\"} == 0\n        for: 9m"},
		{"CimjobJobRunningTooLong over 3h", "> 4 * 3600", "> 3 * 3600"},
		{"CimjobJobRunningTooLong after 10m", "for: 15m", "for: 10m"},
		{"CimjobExporterDown after 4m", "up{job=\"cimjob-exporter\"} == 0\n        for: 5m", "up{job=\"cimjob-exporter\"} == 0\n        for: 4m"},
		{"CimjobExporterReloadFailed after 9m", "reload_successful == 0\n        for: 10m", "reload_successful == 0\n        for: 9m"},
		{"CimjobCredentialsHeldBack after 4m", "auth_held_back == 1\n        for: 5m", "auth_held_back == 1\n        for: 4m"},
		{"CimjobCredentialsHeldBack on any value", "cimjob_exporter_auth_held_back == 1", "cimjob_exporter_auth_held_back >= 0"},
		{"runbook command", "cimjob error --host {{ $labels.host }}", "cimjob error {{ $labels.host }}"},
	} {
		t.Run(m.name, func(t *testing.T) {
			if bytes.Count(rules, []byte(m.old)) != 1 {
				t.Fatalf("%s holds %q %d times, want once: update this test", rulesFile, m.old, bytes.Count(rules, []byte(m.old)))
			}
			dir := t.TempDir()
			mutated := bytes.Replace(rules, []byte(m.old), []byte(m.new), 1)
			if err := os.WriteFile(filepath.Join(dir, rulesFile), mutated, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, rulesTest), tests, 0o644); err != nil {
				t.Fatal(err)
			}
			run(t, dir, promtool, "check", "rules", rulesFile)
			if _, err := runErr(dir, promtool, "test", "rules", rulesTest); err == nil {
				t.Errorf("promtool test rules passes with %q changed to %q", m.old, m.new)
			}
		})
	}
}

// sdTarget is a target as promtool check service-discovery prints it.
type sdTarget struct {
	Discovered map[string]string `json:"discoveredLabels"`
	Labels     map[string]string `json:"labels"`
}

// discover runs promtool check service-discovery for job on the scrape
// config in dir; a target that relabelling drops (printed with no labels)
// is left out.
func discover(t *testing.T, promtool, dir, job string) []sdTarget {
	t.Helper()
	// promtool waits out --timeout (30s by default) before it prints;
	// file_sd reads targets/ at once.
	out := run(t, dir, promtool, "check", "service-discovery", "--timeout=5s", scrapeConfig, job)
	var all []*sdTarget
	if err := json.Unmarshal(out, &all); err != nil {
		t.Fatalf("promtool check service-discovery: %v\n%s", err, out)
	}
	var kept []sdTarget
	for _, tg := range all {
		if tg != nil && len(tg.Labels) > 0 {
			kept = append(kept, *tg)
		}
	}
	return kept
}

// TestScrapeConfig checks the scrape config and that its relabelling
// turns each host of targets/ into a probe of the exporter for that host.
func TestScrapeConfig(t *testing.T) {
	t.Parallel() // promtool check service-discovery waits out its timeout
	promtool := needTool(t, "promtool", promtoolPackage)
	run(t, promDir, promtool, "check", "config", scrapeConfig)

	targets := discover(t, promtool, promDir, "cimjob")
	if len(targets) == 0 {
		t.Fatal("job cimjob discovers no target in targets/")
	}
	modules := map[string]bool{}
	for _, tg := range targets {
		host := tg.Discovered["__address__"]
		l := tg.Labels
		for name, want := range map[string]string{
			"__param_target":   host,
			"instance":         host,
			"__address__":      "127.0.0.1:9985",
			"__metrics_path__": "/probe",
			"module":           l["__param_module"],
		} {
			if l[name] != want {
				t.Errorf("target %s: %s = %q, want %q", host, name, l[name], want)
			}
		}
		if l["module"] == "" {
			t.Errorf("target %s: no module", host)
		}
		modules[l["module"]] = true
	}
	// targets/hyperv.yml shows both the default module and a group's own.
	for _, m := range []string{"hyperv", "msps"} {
		if !modules[m] {
			t.Errorf("no target probed with module %s; got %v", m, modules)
		}
	}

	own := discover(t, promtool, promDir, "cimjob-exporter")
	if len(own) != 1 || own[0].Labels["__address__"] != "127.0.0.1:9985" || own[0].Labels["__metrics_path__"] != "/metrics" {
		t.Errorf("job cimjob-exporter: %+v, want one target 127.0.0.1:9985 at /metrics", own)
	}
}

// uncomment returns the scrape config with the commented relabel rules
// that follow the comment line holding marker made live.
func uncomment(t *testing.T, config []byte, marker string) []byte {
	t.Helper()
	lines := strings.SplitAfter(string(config), "\n")
	start := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, marker) })
	if start < 0 {
		t.Fatalf("%s has no comment %q: update this test", scrapeConfig, marker)
	}
	const prefix = "      # "
	i := start + 1
	for i < len(lines) && !strings.HasPrefix(lines[i], prefix+"- ") {
		i++ // the prose before the example
	}
	n := 0
	for ; i < len(lines); i++ {
		rest, ok := strings.CutPrefix(lines[i], prefix)
		if !ok || !(strings.HasPrefix(rest, "- ") || strings.HasPrefix(rest, "  ")) {
			break
		}
		lines[i] = "      " + rest
		n++
	}
	if n == 0 {
		t.Fatalf("no commented example after %q", marker)
	}
	return []byte(strings.Join(lines, ""))
}

// TestShardingExamples makes the commented hashmod examples live in a copy
// of the scrape config and checks what they do: one shard keeps some hosts
// and drops the others; several exporters each get hosts.
func TestShardingExamples(t *testing.T) {
	t.Parallel() // promtool check service-discovery waits out its timeout
	promtool := needTool(t, "promtool", promtoolPackage)
	config, err := os.ReadFile(filepath.Join(promDir, scrapeConfig))
	if err != nil {
		t.Fatal(err)
	}
	all := len(discover(t, promtool, promDir, "cimjob"))

	copyDir := func(t *testing.T, config []byte) string {
		dir := t.TempDir()
		if err := os.CopyFS(dir, os.DirFS(promDir)); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, scrapeConfig), config, 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}

	t.Run("two shards", func(t *testing.T) {
		t.Parallel()
		// Shard 0 as the example has it, and shard 1 as the comment says
		// the second server's is: together every host, each once.
		shard0 := uncomment(t, config, "Below: shard 0 of 2")
		keep0 := []byte("      - source_labels: [__tmp_hash]\n        regex: \"0\"\n        action: keep\n")
		if !bytes.Contains(shard0, keep0) {
			t.Fatalf("the shard example does not keep hash 0 as this test expects:\n%s", shard0)
		}
		seen := map[string]int{}
		for i, cfg := range [][]byte{shard0, bytes.Replace(shard0, keep0, bytes.Replace(keep0, []byte(`"0"`), []byte(`"1"`), 1), 1)} {
			dir := copyDir(t, cfg)
			run(t, dir, promtool, "check", "config", scrapeConfig)
			kept := discover(t, promtool, dir, "cimjob")
			if len(kept) == 0 || len(kept) >= all {
				t.Errorf("shard %d of 2 keeps %d of %d hosts; want some, not all (add hosts to targets/ if the hash puts all in one shard)", i, len(kept), all)
			}
			for _, tg := range kept {
				seen[tg.Labels["instance"]]++
			}
		}
		if len(seen) != all {
			t.Errorf("the two shards probe %d hosts, want all %d: %v", len(seen), all, seen)
		}
		for host, n := range seen {
			if n != 1 {
				t.Errorf("%s is in %d shards, want 1", host, n)
			}
		}
	})
	t.Run("two exporters", func(t *testing.T) {
		t.Parallel()
		dir := copyDir(t, uncomment(t, config, "Several exporters behind ONE"))
		run(t, dir, promtool, "check", "config", scrapeConfig)
		exporters := map[string]int{}
		for _, tg := range discover(t, promtool, dir, "cimjob") {
			exporters[tg.Labels["__address__"]]++
		}
		if len(exporters) != 2 || exporters["exporter-a.corp.example:9985"] == 0 || exporters["exporter-b.corp.example:9985"] == 0 {
			t.Errorf("hosts per exporter: %v, want some on each of exporter-a and exporter-b", exporters)
		}
	})
}

// TestRulesMatchScrapeConfig checks that the job names the rules select
// are the scrape config's, and that every metric the rules read is one
// docs/exporter.md lists.
func TestRulesMatchScrapeConfig(t *testing.T) {
	rules, err := os.ReadFile(filepath.Join(promDir, rulesFile))
	if err != nil {
		t.Fatal(err)
	}
	config, err := os.ReadFile(filepath.Join(promDir, scrapeConfig))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		ScrapeConfigs []struct {
			JobName string `yaml:"job_name"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(config, &cfg); err != nil {
		t.Fatal(err)
	}
	var jobs []string
	for _, sc := range cfg.ScrapeConfigs {
		jobs = append(jobs, sc.JobName)
	}
	used := regexp.MustCompile(`job="([^"]+)"`).FindAllSubmatch(rules, -1)
	if len(used) == 0 {
		t.Fatalf("%s selects no job: update this test", rulesFile)
	}
	for _, m := range used {
		if !slices.Contains(jobs, string(m[1])) {
			t.Errorf("%s selects job %q; %s has jobs %v", rulesFile, m[1], scrapeConfig, jobs)
		}
	}

	doc, err := os.ReadFile(metricsDoc)
	if err != nil {
		t.Fatal(err)
	}
	metric := regexp.MustCompile(`cimjob_[a-z_]+`)
	documented := map[string]bool{}
	for _, row := range regexp.MustCompile("(?m)^\\| `(cimjob_[a-z_]+)`").FindAllSubmatch(doc, -1) {
		documented[string(row[1])] = true
	}
	for _, name := range metric.FindAll(rules, -1) {
		if !documented[string(name)] {
			t.Errorf("%s reads %s, which the metric table of %s does not list", rulesFile, name, metricsDoc)
		}
	}
	// Every family the exporter's packages name (the CLI's reload and
	// build-info gauges are checked through the rules and by name).
	for _, name := range []string{
		fleet.MetricJobs, fleet.MetricFailedJobInfo, fleet.MetricHostUp, fleet.MetricHostProbeDuration,
		fleet.MetricHostFailedJobs, fleet.MetricOldestRunningJobStart,
		exporter.MetricProbeSuccess, exporter.MetricProbeDuration, exporter.MetricProbeFailureInfo,
		exporter.MetricProbes, exporter.MetricProbeFailures, exporter.MetricExporterProbeDuration,
		exporter.MetricTargets, exporter.MetricErrorCacheEntries, exporter.MetricErrorCacheRequests,
		exporter.MetricTargetEvictions, exporter.MetricAuthBackoffs, exporter.MetricAuthHeldBack,
		exporter.MetricAuthHeldBackTargets, exporter.MetricProbesInFlight,
		"cimjob_exporter_config_last_reload_successful", "cimjob_exporter_config_last_reload_success_timestamp_seconds",
		"cimjob_exporter_build_info",
	} {
		if !documented[name] {
			t.Errorf("the metric table of %s does not list %s", metricsDoc, name)
		}
	}
	reasons := map[string]bool{}
	for _, row := range regexp.MustCompile("(?m)^\\| `([a-z]+)` \\|").FindAllSubmatch(doc, -1) {
		reasons[string(row[1])] = true
	}
	for _, r := range exporter.Reasons() {
		if !reasons[string(r)] {
			t.Errorf("the failure reason table of %s does not list %s", metricsDoc, r)
		}
	}
}

// exporterEnv is the environment the example config needs, and no more.
func exporterEnv(name string) (string, bool) {
	switch name {
	case "CIMJOB_USER":
		return `CORP\svc-cimjob`, true
	case "CIMJOB_PASSWORD":
		return "example-password", true
	}
	return "", false
}

// TestExporterConfigLoads loads the example config as the exporter does:
// with CIMJOB_USER and CIMJOB_PASSWORD it loads (as the container image
// needs), without them it is refused; the commented password_file example
// loads too once its file exists.
func TestExporterConfigLoads(t *testing.T) {
	data, err := os.ReadFile(exporterYAML)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := exporter.ParseConfig(data, ".", exporterEnv)
	if err != nil {
		t.Fatalf("%s: %v", exporterYAML, err)
	}
	var names []string
	for name := range cfg.Modules {
		names = append(names, name)
	}
	slices.Sort(names)
	if want := []string{"hyperv", "hyperv-https-basic", "hyperv-kerberos", "msps"}; !slices.Equal(names, want) {
		t.Errorf("%s: modules %v, want %v", exporterYAML, names, want)
	}
	// The scrape config's module must be one of them.
	if cfg.Modules["hyperv"] == nil {
		t.Errorf("%s has no module hyperv, which %s asks for", exporterYAML, scrapeConfig)
	}

	_, err = exporter.ParseConfig(data, ".", func(string) (string, bool) { return "", false })
	if err == nil || !strings.Contains(err.Error(), "CIMJOB_") {
		t.Errorf("%s without CIMJOB_USER and CIMJOB_PASSWORD: %v, want an error naming the variable", exporterYAML, err)
	}

	// The commented password_file example, live, with its file in a
	// temporary directory.
	dir := t.TempDir()
	pw := filepath.Join(dir, "cimjob-password")
	if err := os.WriteFile(pw, []byte("example-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var live []string
	in := false
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if strings.HasPrefix(line, "  # hyperv-file:") {
			in = true
		}
		if in {
			rest, ok := strings.CutPrefix(line, "  # ")
			if !ok {
				in = false
			} else {
				line = "  " + strings.ReplaceAll(rest, "/run/credentials/cimjob-exporter.service/cimjob-password", pw)
			}
		}
		live = append(live, line)
	}
	withFile := []byte(strings.Join(live, ""))
	if bytes.Equal(withFile, data) {
		t.Fatalf("%s: no commented hyperv-file example: update this test", exporterYAML)
	}
	cfg, err = exporter.ParseConfig(withFile, dir, exporterEnv)
	if err != nil {
		t.Fatalf("%s with the hyperv-file example live: %v", exporterYAML, err)
	}
	if cfg.Modules["hyperv-file"] == nil {
		t.Errorf("%s with the hyperv-file example live: no module hyperv-file", exporterYAML)
	}
}

// envName is what a *_env key must hold: the name of a variable, not a value.
var envName = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)

// TestExporterConfigHasNoSecrets walks the example exporter config: no key
// may hold a secret itself, *_env keys name variables, and secret files
// are absolute paths.
func TestExporterConfigHasNoSecrets(t *testing.T) {
	data, err := os.ReadFile(exporterYAML)
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Modules map[string]map[string]any `yaml:"modules"`
	}
	if err := root.Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Modules) == 0 {
		t.Fatalf("%s has no modules", exporterYAML)
	}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind != yaml.MappingNode {
			for _, c := range n.Content {
				walk(c)
			}
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i].Value, n.Content[i+1]
			at := fmt.Sprintf("%s:%d: %s", exporterYAML, n.Content[i].Line, key)
			switch {
			case strings.Contains(key, "password") && !strings.HasSuffix(key, "_env") && !strings.HasSuffix(key, "_file"),
				strings.Contains(key, "secret"), strings.Contains(key, "token"):
				t.Errorf("%s: a key that holds a secret itself", at)
			case strings.HasSuffix(key, "_env"):
				if !envName.MatchString(val.Value) {
					t.Errorf("%s: %q is not an environment variable's name", at, val.Value)
				}
			case strings.HasSuffix(key, "_file") || key == "keytab" || key == "ccache":
				if !filepath.IsAbs(val.Value) {
					t.Errorf("%s: %q: the example gives secret files as absolute paths", at, val.Value)
				}
			}
			walk(val)
		}
	}
	walk(&root)
}

// TestSystemdUnit runs systemd-analyze verify on the unit (in a copy whose
// ExecStart names a binary that exists here) and checks the settings that
// keep secrets off the command line and the service confined.
func TestSystemdUnit(t *testing.T) {
	unit, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string][]string{}
	for _, line := range strings.Split(string(unit), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			settings[k] = append(settings[k], v)
		}
	}
	for k, want := range map[string]string{
		"DynamicUser":             "yes",
		"NoNewPrivileges":         "yes",
		"ProtectSystem":           "strict",
		"PrivateTmp":              "yes",
		"CapabilityBoundingSet":   "",
		"RestrictAddressFamilies": "AF_INET AF_INET6",
		"ExecReload":              "/bin/kill -HUP $MAINPID",
		"Restart":                 "on-failure",
		"EnvironmentFile":         "/etc/cimjob/exporter.env",
	} {
		if !slices.Contains(settings[k], want) {
			t.Errorf("%s: %s=%v, want %s=%s", unitFile, k, settings[k], k, want)
		}
	}
	if !slices.Contains(settings["SystemCallFilter"], "@system-service") {
		t.Errorf("%s: SystemCallFilter=%v, want @system-service", unitFile, settings["SystemCallFilter"])
	}
	for _, cmd := range settings["ExecStart"] {
		if strings.Contains(strings.ToLower(cmd), "password") || strings.Contains(cmd, "CIMJOB_") {
			t.Errorf("%s: ExecStart=%s: a secret on the command line", unitFile, cmd)
		}
	}

	analyze := needTool(t, "systemd-analyze", systemdPackage)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	copied := bytes.ReplaceAll(unit, []byte("ExecStart=/usr/bin/cimjob "), []byte("ExecStart="+self+" "))
	if bytes.Equal(copied, unit) {
		t.Fatalf("%s: no ExecStart=/usr/bin/cimjob: update this test", unitFile)
	}
	path := filepath.Join(dir, filepath.Base(unitFile))
	if err := os.WriteFile(path, copied, 0o644); err != nil {
		t.Fatal(err)
	}
	// verify exits 0 after some findings (an unknown setting, say), which
	// it prints naming the unit; it may also talk about other units.
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	if err != nil || bytes.Contains(out, []byte(filepath.Base(unitFile))) {
		t.Errorf("systemd-analyze verify %s: %v\n%s", unitFile, err, out)
	}
}
