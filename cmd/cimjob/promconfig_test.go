package main

// The shipped Prometheus configuration (deploy/prometheus), made fit for a
// test by an explicit transformation that touches only addresses, file
// paths, intervals and the rules' for: durations, and a check that it
// touched nothing else: every expr, label, annotation and relabelling
// rule the test runs is the shipped one.

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// shippedPrometheusDir holds the shipped scrape config and rules, relative
// to this package.
const shippedPrometheusDir = "../../deploy/prometheus"

// Files of shippedPrometheusDir the integration test runs.
const (
	shippedPrometheusConfig = "prometheus.yml"
	shippedRules            = "cimjob-rules.yml"
)

// promTestSettings are the values the transformation puts in.
type promTestSettings struct {
	ExporterAddr string // host:port of the exporter under test
	TargetsGlob  string // file_sd files: the test's own target list
	Interval     string // global scrape and evaluation interval
	Timeout      string // scrape timeout (≤ Interval, as Prometheus requires)
	For          string // every alerting rule's for:
}

// changedByTransform are the only keys the transformation may change, as
// paths in the YAML documents (see yamlDiff); anything else that differs
// fails the test.
var changedByTransform = []*regexp.Regexp{
	// Intervals: the shipped ones are minutes; a test waits seconds.
	regexp.MustCompile(`^global\.(scrape_interval|scrape_timeout|evaluation_interval)$`),
	regexp.MustCompile(`^scrape_configs\[\d+\]\.(scrape_interval|scrape_timeout)$`),
	// The target list: the test's simulated hosts, not the example ones.
	regexp.MustCompile(`^scrape_configs\[\d+\]\.file_sd_configs\[\d+\]\.files(\[\d+\])?$`),
	// The exporter's address: in the relabelling that points __address__
	// at it, and as the target of the job scraping its own /metrics.
	regexp.MustCompile(`^scrape_configs\[\d+\]\.relabel_configs\[\d+\]\.replacement$`),
	regexp.MustCompile(`^scrape_configs\[\d+\]\.static_configs\[\d+\]\.targets(\[\d+\])?$`),
	// Rule files named by absolute path are read from the test's copy.
	regexp.MustCompile(`^rule_files\[\d+\]$`),
	// Rules: how often a group is evaluated and how long an alert is
	// pending, never what it says.
	regexp.MustCompile(`^groups\[\d+\]\.interval$`),
	regexp.MustCompile(`^groups\[\d+\]\.rules\[\d+\]\.for$`),
}

// yamlDoc reads a YAML file into generic maps and lists.
func yamlDoc(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc
}

// deepCopy copies a generic YAML value.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, e := range v {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}

// yamlDiff lists the paths ("a.b[2].c") at which a and b differ: a key
// added, removed or changed, a list grown or shrunk (its path), a scalar
// changed.
func yamlDiff(path string, a, b any) []string {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			return []string{path}
		}
		keys := map[string]bool{}
		for k := range av {
			keys[k] = true
		}
		for k := range bv {
			keys[k] = true
		}
		var out []string
		for k := range keys {
			ae, aok := av[k]
			be, bok := bv[k]
			if aok != bok {
				out = append(out, join(k))
				continue
			}
			out = append(out, yamlDiff(join(k), ae, be)...)
		}
		sort.Strings(out)
		return out
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return []string{path}
		}
		var out []string
		for i := range av {
			out = append(out, yamlDiff(fmt.Sprintf("%s[%d]", path, i), av[i], bv[i])...)
		}
		return out
	}
	if !reflect.DeepEqual(a, b) {
		return []string{path}
	}
	return nil
}

// unexpectedChanges are the paths of diff no changedByTransform allows.
func unexpectedChanges(diff []string) []string {
	var out []string
	for _, p := range diff {
		ok := false
		for _, re := range changedByTransform {
			if re.MatchString(p) {
				ok = true
				break
			}
		}
		if !ok {
			out = append(out, p)
		}
	}
	return out
}

// isProbeJob reports whether a scrape config is the multi-target one: it
// scrapes the exporter's /probe for hosts.
func isProbeJob(sc map[string]any) bool {
	mp, _ := sc["metrics_path"].(string)
	return mp == "/probe"
}

// setIfPresent sets m[k] to v only where the shipped file sets it, so
// that the transformation adds nothing the shipped file leaves default.
func setIfPresent(m map[string]any, k string, v any) {
	if _, ok := m[k]; ok {
		m[k] = v
	}
}

// transformPrometheusConfig is the test's change to the shipped
// prometheus.yml; see changedByTransform for what it may touch.
func transformPrometheusConfig(doc map[string]any, s promTestSettings) map[string]any {
	out := deepCopy(doc).(map[string]any)
	g, _ := out["global"].(map[string]any)
	if g == nil {
		g = map[string]any{}
		out["global"] = g
	}
	g["scrape_interval"], g["evaluation_interval"] = s.Interval, s.Interval
	setIfPresent(g, "scrape_timeout", s.Timeout)
	scs, _ := out["scrape_configs"].([]any)
	for _, e := range scs {
		sc, _ := e.(map[string]any)
		if sc == nil {
			continue
		}
		setIfPresent(sc, "scrape_interval", s.Interval)
		setIfPresent(sc, "scrape_timeout", s.Timeout)
		fsds, _ := sc["file_sd_configs"].([]any)
		for _, f := range fsds {
			if fm, _ := f.(map[string]any); fm != nil {
				fm["files"] = []any{s.TargetsGlob}
			}
		}
		rcs, _ := sc["relabel_configs"].([]any)
		for _, r := range rcs {
			// The rule that points a host's scrape at the exporter.
			if rm, _ := r.(map[string]any); rm != nil && rm["target_label"] == "__address__" {
				rm["replacement"] = s.ExporterAddr
			}
		}
		if !isProbeJob(sc) {
			// The job scraping the exporter's own /metrics: its static
			// target is the exporter.
			stcs, _ := sc["static_configs"].([]any)
			for _, st := range stcs {
				if sm, _ := st.(map[string]any); sm != nil {
					if ts, _ := sm["targets"].([]any); len(ts) > 0 {
						sm["targets"] = []any{s.ExporterAddr}
					}
				}
			}
		}
	}
	rfs, _ := out["rule_files"].([]any)
	for i, rf := range rfs {
		if p, _ := rf.(string); filepath.IsAbs(p) {
			rfs[i] = filepath.Base(p)
		}
	}
	return out
}

// transformRules is the test's change to the shipped rules: every group
// evaluated at s.Interval where it sets its own, every for: s.For.
func transformRules(doc map[string]any, s promTestSettings) map[string]any {
	out := deepCopy(doc).(map[string]any)
	groups, _ := out["groups"].([]any)
	for _, g := range groups {
		gm, _ := g.(map[string]any)
		if gm == nil {
			continue
		}
		setIfPresent(gm, "interval", s.Interval)
		rules, _ := gm["rules"].([]any)
		for _, r := range rules {
			if rm, _ := r.(map[string]any); rm != nil {
				setIfPresent(rm, "for", s.For)
			}
		}
	}
	return out
}

// writeTestPrometheusConfig writes the transformed shipped config and
// rules into dir and returns the config's path, failing the test if the
// transformation changed any key changedByTransform does not allow.
func writeTestPrometheusConfig(t *testing.T, dir string, s promTestSettings) (configPath string, shipped map[string]any) {
	t.Helper()
	write := func(name string, doc map[string]any) string {
		data, err := yaml.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	check := func(name string, before, after map[string]any) {
		diff := yamlDiff("", before, after)
		if bad := unexpectedChanges(diff); len(bad) > 0 {
			t.Fatalf("the test's transformation of %s changed more than addresses, paths, intervals and for: %s", name, strings.Join(bad, ", "))
		}
		t.Logf("%s: the test changed %s", name, strings.Join(diff, ", "))
	}
	cfg := yamlDoc(t, filepath.Join(shippedPrometheusDir, shippedPrometheusConfig))
	tcfg := transformPrometheusConfig(cfg, s)
	check(shippedPrometheusConfig, cfg, tcfg)
	rules := yamlDoc(t, filepath.Join(shippedPrometheusDir, shippedRules))
	trules := transformRules(rules, s)
	check(shippedRules, rules, trules)
	write(shippedRules, trules)
	return write(shippedPrometheusConfig, tcfg), cfg
}

// TestYAMLDiffSeesEveryChange: the check of the transformation finds a
// changed expr, label, annotation or relabelling, not only the keys it
// allows.
func TestYAMLDiffSeesEveryChange(t *testing.T) {
	rules := func() map[string]any {
		return map[string]any{"groups": []any{map[string]any{
			"name": "cimjob",
			"rules": []any{map[string]any{
				"alert": "CimjobFailedJob", "expr": "cimjob_failed_job_info == 1", "for": "5m",
				"labels":      map[string]any{"severity": "warning"},
				"annotations": map[string]any{"summary": "a job failed on {{ $labels.instance }}"},
			}},
		}}}
	}
	rule := func(d map[string]any) map[string]any {
		return d["groups"].([]any)[0].(map[string]any)["rules"].([]any)[0].(map[string]any)
	}
	for _, tc := range []struct {
		name   string
		change func(map[string]any)
		want   []string // the unexpected paths
	}{
		{"for only", func(d map[string]any) { rule(d)["for"] = "1s" }, nil},
		{"expr", func(d map[string]any) { rule(d)["expr"] = "vector(1)" }, []string{"groups[0].rules[0].expr"}},
		{"label", func(d map[string]any) { rule(d)["labels"].(map[string]any)["severity"] = "page" }, []string{"groups[0].rules[0].labels.severity"}},
		{"annotation added", func(d map[string]any) { rule(d)["annotations"].(map[string]any)["x"] = "y" }, []string{"groups[0].rules[0].annotations.x"}},
		{"rule dropped", func(d map[string]any) { d["groups"].([]any)[0].(map[string]any)["rules"] = []any{} }, []string{"groups[0].rules"}},
		{"for added", func(d map[string]any) { delete(rule(d), "for") }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := rules(), rules()
			tc.change(b)
			if got := unexpectedChanges(yamlDiff("", a, b)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("unexpected changes %q, want %q", got, tc.want)
			}
		})
	}
	// transformRules itself sets for: only where a rule has one.
	d := rules()
	delete(rule(d), "for")
	if diff := yamlDiff("", d, transformRules(d, promTestSettings{For: "1s", Interval: "1s"})); len(diff) != 0 {
		t.Errorf("transformRules added %v to a rule without for:", diff)
	}
}
