package exporter

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/cimjob/cimjob/simulator"
	"github.com/cimjob/cimjob/wsman"
)

// The fleet scenario's credentials.
const (
	simUser     = "demo"
	simPassword = "demo-password"
)

// startFleet starts simulated hosts (NTLM, sealed over HTTP).
func startFleet(t testing.TB, opt simulator.FleetOptions) *simulator.Fleet {
	t.Helper()
	f, err := simulator.NewFleet(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// hostPort is the target parameter of a simulated host: host:port.
func hostPort(t testing.TB, h simulator.HostInfo) string {
	u, err := url.Parse(h.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// env is an environment of fixed variables.
func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

// simConfig parses a configuration whose module hyperv reaches the
// simulator with its password from $CIMJOB_PW; extra is appended to the
// module's keys (indented by 4).
func simConfig(t testing.TB, extra string) *Config {
	t.Helper()
	y := "modules:\n  hyperv:\n    username: demo\n    password_env: CIMJOB_PW\n" + extra
	cfg, err := ParseConfig([]byte(y), t.TempDir(), env(map[string]string{"CIMJOB_PW": simPassword}))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// scrapeResult is one /probe answer.
type scrapeResult struct {
	code     int
	body     string
	families map[string]*dto.MetricFamily
}

// scrape asks e's /probe with the query and, if set, the scrape timeout
// header.
func scrape(t testing.TB, e *Exporter, query, timeoutHeader string) scrapeResult {
	t.Helper()
	req := httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/probe?"+query, nil)
	if timeoutHeader != "" {
		req.Header.Set(scrapeTimeoutHeader, timeoutHeader)
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	res := scrapeResult{code: rec.Code, body: rec.Body.String()}
	if rec.Code == http.StatusOK {
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(strings.NewReader(res.body))
		if err != nil {
			t.Fatalf("parsing the probe's answer: %v\n%s", err, res.body)
		}
		res.families = fams
	}
	return res
}

// gauge is the value of the family's only series, or -1 when absent.
func (r scrapeResult) gauge(name string) float64 {
	mf := r.families[name]
	if mf == nil || len(mf.GetMetric()) == 0 {
		return -1
	}
	return mf.GetMetric()[0].GetGauge().GetValue()
}

// label is the value of the label of the family's first series.
func (r scrapeResult) label(name, label string) string {
	mf := r.families[name]
	if mf == nil || len(mf.GetMetric()) == 0 {
		return ""
	}
	for _, l := range mf.GetMetric()[0].GetLabel() {
		if l.GetName() == label {
			return l.GetValue()
		}
	}
	return ""
}

// count is the number of series of the family.
func (r scrapeResult) count(name string) int {
	if mf := r.families[name]; mf != nil {
		return len(mf.GetMetric())
	}
	return 0
}

// errorCalls counts the host's GetError and GetErrorEx calls.
func errorCalls(st simulator.Stats) int {
	n := 0
	for action, c := range st.Actions {
		if strings.HasSuffix(action, "/GetError") || strings.HasSuffix(action, "/GetErrorEx") {
			n += c
		}
	}
	return n
}

// failedIDs lists the host's generated jobs that count as failed, in the
// namespace.
func failedIDs(h simulator.HostInfo, ns string) []string {
	var ids []string
	for _, j := range h.Server.GeneratedJobs() {
		if j.Failed && strings.EqualFold(j.Namespace, ns) {
			ids = append(ids, j.InstanceID)
		}
	}
	return ids
}

// editTransport lets a test change requests on their way.
type editTransport struct {
	wsman.Transport
	mu     sync.Mutex
	edit   func([]byte) []byte
	closed *int
	// closeMu guards *closed.
	closeMu *sync.Mutex
}

func (e *editTransport) RoundTrip(ctx context.Context, env []byte) (*wsman.Reply, error) {
	e.mu.Lock()
	edit := e.edit
	e.mu.Unlock()
	if edit != nil {
		env = edit(env)
	}
	return e.Transport.RoundTrip(ctx, env)
}

func (e *editTransport) Close() error {
	if e.closed != nil {
		e.closeMu.Lock()
		*e.closed++
		e.closeMu.Unlock()
	}
	return e.Transport.Close()
}

// gatherOwn is the exporter's own metrics in the text format.
func gatherOwn(t testing.TB, e *Exporter) string {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(e)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	enc := expfmt.NewEncoder(&b, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
