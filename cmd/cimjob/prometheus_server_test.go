package main

// A real Prometheus server (Debian's package prometheus) for the exporter's
// integration test: started on loopback with a config and rules of the
// test's making, read through its HTTP API, stopped at the end of the test
// with its log shown when the test failed.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cimjob/cimjob/internal/testdeps"
)

// needPrometheus returns the path of the prometheus server binary, or ends
// the test through testdeps (skip, or fail under CI).
func needPrometheus(t *testing.T) string {
	t.Helper()
	testdeps.CheckCIInstalls(t, promtoolPackage)
	path, err := exec.LookPath("prometheus")
	if err != nil {
		testdeps.Missing(t, fmt.Errorf("no prometheus server on PATH (Debian package %s): %v", promtoolPackage, err))
	}
	return path
}

// tail is the end of s, for failure messages that must stay readable.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// freeLoopbackAddr is a loopback address whose port was free a moment ago.
// Another process may take it before the caller binds it, which the
// callers detect and retry.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// startAttempts bounds the retries of a server whose port was taken
// between freeLoopbackAddr and its own bind.
const startAttempts = 3

// promServer is a running Prometheus server.
type promServer struct {
	URL  string // http://127.0.0.1:NNNNN
	logs *syncBuffer
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // its exit, once done is closed
}

// startPrometheus runs bin with configFile, storing in dataDir, and waits
// until /-/ready answers 200. The server is stopped when the test ends;
// its log is printed if the test failed.
func startPrometheus(t *testing.T, bin, configFile, dataDir string) *promServer {
	t.Helper()
	for attempt := 1; ; attempt++ {
		addr := freeLoopbackAddr(t)
		p := &promServer{URL: "http://" + addr, logs: newSyncBuffer(), done: make(chan struct{})}
		p.cmd = exec.Command(bin,
			"--config.file="+configFile,
			"--storage.tsdb.path="+dataDir,
			"--web.listen-address="+addr,
			"--log.level=debug",
		)
		p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
		if err := p.cmd.Start(); err != nil {
			t.Fatalf("starting %s: %v", bin, err)
		}
		go func() {
			p.err = p.cmd.Wait()
			close(p.done)
		}()
		t.Cleanup(func() { p.stop(t) })
		err := waitReady(p.URL+"/-/ready", p.done, 90*time.Second)
		if err == nil {
			return p
		}
		if attempt < startAttempts && strings.Contains(p.logs.String(), "address already in use") {
			continue
		}
		t.Fatalf("prometheus did not become ready: %v\n--- prometheus log:\n%s", err, tail(p.logs.String(), 8000))
	}
}

// stop ends the server (SIGTERM, then SIGKILL) and shows its log if the
// test failed.
func (p *promServer) stop(t *testing.T) {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	if t.Failed() {
		t.Logf("--- prometheus log (%s):\n%s", p.URL, tail(p.logs.String(), 16000))
	}
}

// waitReady polls u until it answers 200, the process ends (exited is
// closed) or limit passes. The limit is only a safety net against a
// server that never comes up: nothing is asserted about how long it took.
func waitReady(u string, exited <-chan struct{}, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last string
	for {
		select {
		case <-exited:
			return fmt.Errorf("the process exited (last answer: %s)", last)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				cancel()
				return nil
			}
			last = fmt.Sprintf("%s %q", resp.Status, body)
		} else {
			last = err.Error()
		}
		cancel()
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v (last answer: %s)", limit, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// maxAPIBody bounds a reply of the Prometheus API read by the test.
const maxAPIBody = 16 << 20

// api GETs path with q from the server's HTTP API and decodes the data
// member of a "success" reply into v.
func (p *promServer) api(ctx context.Context, path string, q url.Values, v any) error {
	u := p.URL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIBody))
	if err != nil {
		return err
	}
	var r struct {
		Status    string          `json:"status"`
		Data      json.RawMessage `json:"data"`
		ErrorType string          `json:"errorType"`
		Error     string          `json:"error"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("GET %s: %s: %v: %.300s", path, resp.Status, err, body)
	}
	if r.Status != "success" {
		return fmt.Errorf("GET %s: %s: %s: %s", path, resp.Status, r.ErrorType, r.Error)
	}
	return json.Unmarshal(r.Data, v)
}

// promSample is one element of an instant vector.
type promSample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"` // [unix time, "value"]
}

// value is the sample's value as Prometheus wrote it ("1", "0", "NaN").
func (s promSample) value() string {
	v, _ := s.Value[1].(string)
	return v
}

// query evaluates expr now (/api/v1/query); it must be an instant vector.
func (p *promServer) query(ctx context.Context, expr string) ([]promSample, error) {
	var d struct {
		ResultType string       `json:"resultType"`
		Result     []promSample `json:"result"`
	}
	if err := p.api(ctx, "/api/v1/query", url.Values{"query": {expr}}, &d); err != nil {
		return nil, fmt.Errorf("query %s: %w", expr, err)
	}
	if d.ResultType != "vector" {
		return nil, fmt.Errorf("query %s: a %s, not a vector", expr, d.ResultType)
	}
	return d.Result, nil
}

// promAlert is one alert of /api/v1/alerts.
type promAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"` // pending | firing
}

// alerts lists the server's active alerts.
func (p *promServer) alerts(ctx context.Context) ([]promAlert, error) {
	var d struct {
		Alerts []promAlert `json:"alerts"`
	}
	if err := p.api(ctx, "/api/v1/alerts", nil, &d); err != nil {
		return nil, err
	}
	return d.Alerts, nil
}

// series lists the label sets of every series matching match that the
// server holds (/api/v1/series).
func (p *promServer) series(ctx context.Context, match string) ([]map[string]string, error) {
	var d []map[string]string
	if err := p.api(ctx, "/api/v1/series", url.Values{"match[]": {match}}, &d); err != nil {
		return nil, err
	}
	return d, nil
}

// promTarget is one active target of /api/v1/targets.
type promTarget struct {
	DiscoveredLabels map[string]string `json:"discoveredLabels"`
	Labels           map[string]string `json:"labels"`
	ScrapePool       string            `json:"scrapePool"`
	ScrapeURL        string            `json:"scrapeUrl"`
	LastError        string            `json:"lastError"`
	Health           string            `json:"health"`
}

// targets lists the server's active targets.
func (p *promServer) targets(ctx context.Context) ([]promTarget, error) {
	var d struct {
		ActiveTargets []promTarget `json:"activeTargets"`
	}
	if err := p.api(ctx, "/api/v1/targets", url.Values{"state": {"active"}}, &d); err != nil {
		return nil, err
	}
	return d.ActiveTargets, nil
}

// pollInterval is how often eventually asks again.
const pollInterval = 500 * time.Millisecond

// eventually calls check until it reports the condition met or deadline
// passes, and then fails the test with what check last saw. A check's
// error (the API did not answer) counts as not met. It is not a timed
// assertion: the deadline is a generous bound on a wait for scrapes and
// rule evaluations, so that a broken pipeline fails instead of hanging.
func eventually(t *testing.T, deadline time.Time, what string, check func(ctx context.Context) (bool, string, error)) {
	t.Helper()
	var seen string
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		ok, s, err := check(ctx)
		cancel()
		if err != nil {
			s = "error: " + err.Error()
		}
		if ok && err == nil {
			return
		}
		seen = s
		if time.Now().After(deadline) {
			t.Fatalf("%s: not so by the deadline; last seen:\n%s", what, seen)
		}
		time.Sleep(pollInterval)
	}
}

// labelString prints a label set in a stable order, without __name__
// unless withName.
func labelString(m map[string]string, withName bool) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		if k == "__name__" && !withName {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("{")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%q", k, m[k])
	}
	b.WriteString("}")
	return b.String()
}

// samplesString prints a vector for a failure message.
func samplesString(v []promSample) string {
	if len(v) == 0 {
		return "(empty vector)"
	}
	lines := make([]string, len(v))
	for i, s := range v {
		lines[i] = labelString(s.Metric, true) + " " + s.value()
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
