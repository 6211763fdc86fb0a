package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	dto "github.com/prometheus/client_model/go"
	"golang.org/x/crypto/bcrypt"
)

// envTestPassword names the variable the test modules read the password
// from; its value must show up in no page, metric or log line.
const envTestPassword = "CIMJOB_TEST_EXPORTER_PASSWORD"

// exporterModules is a config of two modules against the simulator's
// demo user, the password from envTestPassword.
func exporterModules(names ...string) string {
	var b strings.Builder
	b.WriteString("modules:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %s:\n    username: %s\n    password_env: %s\n", n, demoUserName, envTestPassword)
	}
	return b.String()
}

// writeExporterConfig writes an exporter config, owner-only as a config naming
// credentials should be, and returns its path.
func writeExporterConfig(t *testing.T, path, body string) string {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "exporter.yml")
	}
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// syncBuffer is the exporter's stderr: its log, written by the server's
// goroutines while the test reads it.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced at each write
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{changed: make(chan struct{})} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.changed)
	b.changed = make(chan struct{})
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor blocks until the log holds n lines containing s, or the
// exporter exits.
func (b *syncBuffer) waitFor(t *testing.T, s string, n int, exited <-chan struct{}) {
	t.Helper()
	for {
		b.mu.Lock()
		got, ch := strings.Count(b.buf.String(), s), b.changed
		b.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-ch:
		case <-exited:
			t.Fatalf("the exporter exited before logging %q %d times:\n%s", s, n, b.String())
		}
	}
}

// exporterRun is one `cimjob exporter` running in-process on loopback.
type exporterRun struct {
	url    string   // http://127.0.0.1:PORT
	urls   []string // one per --web.listen-address, url first
	stdout *syncBuffer
	stderr *syncBuffer
	hup    chan os.Signal
	exited chan struct{} // closed when the run has returned code
	code   int
	cancel context.CancelFunc
}

// stop ends the run's context, as SIGTERM does, and returns its exit code.
func (r *exporterRun) stop() int {
	r.cancel()
	<-r.exited
	return r.code
}

// startExporter runs `cimjob exporter ARGS` on 127.0.0.1:0 with env, and
// returns once it listens. The test's end stops it and expects exit 0.
func startExporter(t *testing.T, env map[string]string, args ...string) *exporterRun {
	t.Helper()
	r := &exporterRun{stdout: newSyncBuffer(), stderr: newSyncBuffer(), hup: make(chan os.Signal, 1), exited: make(chan struct{})}
	a := testApp(r.stdout, r.stderr, env)
	// One more address than ARGS give: the 127.0.0.1:0 added below.
	listens := 1
	for _, a := range args {
		if a == "--web.listen-address" {
			listens++
		}
	}
	bound := make(chan net.Addr, listens)
	a.listen = listenReporting(bound)
	a.hangups = func() (<-chan os.Signal, func()) { return r.hup, func() {} }
	var ctx context.Context
	ctx, r.cancel = context.WithCancel(context.Background())
	go func() {
		defer close(r.exited)
		r.code = a.run(ctx, append([]string{"exporter", "--web.listen-address", "127.0.0.1:0"}, args...))
	}()
	for len(r.urls) < listens {
		select {
		case addr := <-bound:
			r.urls = append(r.urls, "http://"+addr.String())
		case <-r.exited:
			r.cancel()
			t.Fatalf("the exporter exited %d before listening:\n%s", r.code, r.stderr)
		}
	}
	r.url = r.urls[0]
	t.Cleanup(func() {
		if code := r.stop(); code != exitOK {
			t.Errorf("the exporter exited %d after its context ended, want 0:\n%s", code, r.stderr)
		}
	})
	return r
}

// do sends one request to the exporter and returns the status and body.
func (r *exporterRun) do(t *testing.T, method, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, r.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp.StatusCode, string(b)
}

// get is do for a GET that must answer 200.
func (r *exporterRun) get(t *testing.T, path string) string {
	t.Helper()
	code, body := r.do(t, http.MethodGet, path)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, code, body)
	}
	return body
}

// families parses a text exposition.
func families(t *testing.T, body string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("bad exposition: %v\n%s", err, body)
	}
	return fams
}

// gauge is the value of the family's only series, failing if it has not
// exactly one.
func gauge(t *testing.T, fams map[string]*dto.MetricFamily, name string) float64 {
	t.Helper()
	f := fams[name]
	if f == nil || len(f.Metric) != 1 {
		t.Fatalf("want one series of %s, got %v", name, f)
	}
	m := f.Metric[0]
	switch {
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	t.Fatalf("%s is neither gauge, counter nor untyped", name)
	return 0
}

func testExporterEnv() map[string]string {
	return map[string]string{envTestPassword: demoPassword}
}

// TestExporterEndpoints: each endpoint's status and what its body must
// and must not hold.
func TestExporterEndpoints(t *testing.T) {
	cfg := writeExporterConfig(t, "", exporterModules("hyperv", "msps"))
	r := startExporter(t, testExporterEnv(), "--config.file", cfg)
	tests := []struct {
		method, path string
		code         int
		want, not    []string
	}{
		{"GET", "/", 200,
			[]string{`href="/metrics"`, `href="/-/healthy"`, `action="/probe"`, `name="target"`, `name="module"`, "<code>hyperv</code>", "<code>msps</code>"},
			[]string{demoPassword, envTestPassword, "debug/pprof"}},
		{"GET", "/-/healthy", 200, []string{"Healthy"}, nil},
		{"GET", "/-/ready", 200, []string{"Ready"}, nil},
		{"HEAD", "/-/healthy", 200, nil, nil},
		{"GET", "/-/reload", 405, []string{"POST or PUT"}, nil},
		{"DELETE", "/-/reload", 405, []string{"POST or PUT"}, nil},
		{"GET", "/nowhere", 404, nil, nil},
		{"GET", "/metrics", 200,
			[]string{"cimjob_exporter_config_last_reload_successful 1", "cimjob_exporter_config_last_reload_success_timestamp_seconds ",
				"cimjob_exporter_build_info{", "go_goroutines ", "go_memstats_alloc_bytes ", "process_start_time_seconds "},
			[]string{demoPassword}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			code, body := r.do(t, tt.method, tt.path)
			if code != tt.code {
				t.Fatalf("status %d, want %d: %s", code, tt.code, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("the body lacks %q:\n%s", w, body)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(body, n) {
					t.Errorf("the body holds %q:\n%s", n, body)
				}
			}
		})
	}
	if strings.Contains(r.stderr.String(), demoPassword) {
		t.Errorf("the log holds the password:\n%s", r.stderr)
	}
}

// TestExporterReload: a config that loads replaces the one in use, on
// POST or PUT /-/reload and on SIGHUP; one that does not leaves the one in
// use, sets the reload metric to 0 and says why in one line.
func TestExporterReload(t *testing.T) {
	cfg := writeExporterConfig(t, "", exporterModules("hyperv"))
	r := startExporter(t, testExporterEnv(), "--config.file", cfg)
	hups := 0
	steps := []struct {
		name    string
		config  string
		trigger string // POST, PUT or HUP
		ok      bool
		modules []string // the landing page's after the step
		wantLog string   // in the reload's log line
	}{
		{"good by POST", exporterModules("hyperv", "msps"), "POST", true, []string{"hyperv", "msps"}, "modules=hyperv,msps"},
		{"unknown key by POST", "modules:\n  cim:\n    bogus: 1\n", "POST", false, []string{"hyperv", "msps"}, "bogus"},
		{"literal password by PUT", "modules:\n  cim:\n    username: demo\n    password: " + demoPassword + "\n", "PUT", false, []string{"hyperv", "msps"}, "password_env"},
		{"good by PUT", exporterModules("cim"), "PUT", true, []string{"cim"}, "modules=cim"},
		{"unset variable by SIGHUP", "modules:\n  hyperv:\n    username: demo\n    password_env: CIMJOB_TEST_UNSET\n", "HUP", false, []string{"cim"}, "CIMJOB_TEST_UNSET"},
		{"good by SIGHUP", exporterModules("msps"), "HUP", true, []string{"msps"}, "modules=msps"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			writeExporterConfig(t, cfg, st.config)
			if st.trigger == "HUP" {
				hups++
				r.hup <- syscall.SIGHUP
				r.stderr.waitFor(t, "by=SIGHUP", hups, r.exited)
			} else {
				code, body := r.do(t, st.trigger, "/-/reload")
				want := http.StatusOK
				if !st.ok {
					want = http.StatusInternalServerError
				}
				if code != want {
					t.Fatalf("%s /-/reload: %d, want %d: %s", st.trigger, code, want, body)
				}
				if !st.ok && (strings.Count(strings.TrimSpace(body), "\n") != 0 || !strings.Contains(body, st.wantLog)) {
					t.Errorf("want one line saying %q, got %q", st.wantLog, body)
				}
				if strings.Contains(body, demoPassword) {
					t.Errorf("the answer echoes the password: %q", body)
				}
			}
			lines := strings.Split(strings.TrimSpace(r.stderr.String()), "\n")
			last := lines[len(lines)-1]
			if !strings.Contains(last, st.wantLog) {
				t.Errorf("the reload's log line %q does not say %q", last, st.wantLog)
			}
			if wantLevel := map[bool]string{true: "level=INFO", false: "level=ERROR"}[st.ok]; !strings.Contains(last, wantLevel) {
				t.Errorf("the reload's log line %q is not at %s", last, wantLevel)
			}
			fams := families(t, r.get(t, "/metrics"))
			if got, want := gauge(t, fams, "cimjob_exporter_config_last_reload_successful"), map[bool]float64{true: 1, false: 0}[st.ok]; got != want {
				t.Errorf("cimjob_exporter_config_last_reload_successful %v, want %v", got, want)
			}
			page := r.get(t, "/")
			for _, m := range []string{"hyperv", "msps", "cim"} {
				want := false
				for _, w := range st.modules {
					want = want || w == m
				}
				if got := strings.Contains(page, "<code>"+m+"</code>"); got != want {
					t.Errorf("module %s on the landing page: %v, want %v", m, got, want)
				}
			}
		})
	}
	if strings.Contains(r.stderr.String(), demoPassword) {
		t.Errorf("the log holds the password:\n%s", r.stderr)
	}
}

// TestExporterProbe probes a simulated host through /probe: the host's
// job families with cimjob_probe_success 1; the exporter's /metrics then
// count the probe under its module, never naming the target.
func TestExporterProbe(t *testing.T) {
	_, host := startSim(t, "default.json")
	cfg := writeExporterConfig(t, "", exporterModules("hyperv"))
	// At debug level each probe is logged: the password must not be.
	r := startExporter(t, testExporterEnv(), "--config.file", cfg, "--log.level", "debug", "--exporter.max-concurrent-probes", "3")
	body := r.get(t, "/probe?"+url.Values{"module": {"hyperv"}, "target": {host}}.Encode())
	fams := families(t, body)
	if got := gauge(t, fams, "cimjob_probe_success"); got != 1 {
		t.Fatalf("cimjob_probe_success %v, want 1:\n%s", got, body)
	}
	for _, name := range []string{"cimjob_jobs", "cimjob_failed_job_info", "cimjob_host_up", "cimjob_host_failed_jobs", "cimjob_probe_duration_seconds"} {
		if fams[name] == nil {
			t.Errorf("the probe lacks %s:\n%s", name, body)
		}
	}
	if fams["cimjob_probe_failure_info"] != nil {
		t.Errorf("a successful probe has cimjob_probe_failure_info:\n%s", body)
	}
	own := r.get(t, "/metrics")
	if !strings.Contains(own, `cimjob_exporter_probes_total{module="hyperv",result="success"} 1`) {
		t.Errorf("/metrics does not count the probe:\n%s", own)
	}
	for _, secret := range []string{host, demoPassword} {
		if strings.Contains(own, secret) {
			t.Errorf("/metrics holds %q", secret)
		}
	}
	log := r.stderr.String()
	if !strings.Contains(log, "level=DEBUG") {
		t.Errorf("--log.level debug logged no debug line:\n%s", log)
	}
	if strings.Contains(log, demoPassword) || strings.Contains(body, demoPassword) {
		t.Errorf("the password is in the log or the probe")
	}
}

// TestExporterBadStart: what keeps the exporter from starting is one line
// on stderr and exit 2; --config.check says whether the config loads
// without serving.
func TestExporterBadStart(t *testing.T) {
	dir := t.TempDir()
	good := writeExporterConfig(t, filepath.Join(dir, "good.yml"), exporterModules("hyperv", "msps"))
	bad := writeExporterConfig(t, filepath.Join(dir, "bad.yml"), "modules:\n  hyperv:\n    password: "+demoPassword+"\n")
	unset := writeExporterConfig(t, filepath.Join(dir, "unset.yml"), exporterModules("hyperv"))
	noFile := writeExporterConfig(t, filepath.Join(dir, "nofile.yml"), "modules:\n  hyperv:\n    username: demo\n    password_file: "+filepath.Join(dir, "none.txt")+"\n")
	tests := []struct {
		name      string
		env       map[string]string
		args      []string
		code      int
		stdout    string
		stderrHas string
		flag      bool // a flag's problem, which the help hint follows
	}{
		{"check good", testExporterEnv(), []string{"--config.check", "--config.file", good}, exitOK, good + ": OK, modules: hyperv, msps\n", "", false},
		{"check bad key", testExporterEnv(), []string{"--config.check", "--config.file", bad}, exitUsage, "", "password", false},
		{"check unset variable", nil, []string{"--config.check", "--config.file", unset}, exitUsage, "", envTestPassword, false},
		{"check missing file", nil, []string{"--config.check", "--config.file", filepath.Join(dir, "none.yml")}, exitUsage, "", "none.yml: no such file or directory; give the exporter's modules file with --config.file", false},
		{"check missing password file", nil, []string{"--config.check", "--config.file", noFile}, exitUsage, "", "module hyperv: ", false},
		{"start bad key", testExporterEnv(), []string{"--config.file", bad, "--web.listen-address", "127.0.0.1:0"}, exitUsage, "", "password", false},
		{"bad web config", testExporterEnv(), []string{"--config.check", "--config.file", good, "--web.config.file", filepath.Join(dir, "none.yml")}, exitUsage, "", "--web.config.file", false},
		{"zero max targets", testExporterEnv(), []string{"--config.file", good, "--exporter.max-targets", "0"}, exitUsage, "", "--exporter.max-targets", true},
		{"zero max concurrent probes", testExporterEnv(), []string{"--config.file", good, "--exporter.max-concurrent-probes", "0"}, exitUsage, "", "--exporter.max-concurrent-probes must be at least 1", true},
		{"telemetry path taken", testExporterEnv(), []string{"--config.file", good, "--web.telemetry-path", "/probe"}, exitUsage, "", "--web.telemetry-path", true},
		{"bad log level", testExporterEnv(), []string{"--config.file", good, "--log.level", "chatty"}, exitUsage, "", "chatty", true},
		{"no systemd socket", testExporterEnv(), []string{"--config.file", good, "--web.systemd-socket"}, exitUsage, "", "--web.systemd-socket: systemd passed no socket", true},
		{"vsock beside another address", testExporterEnv(), []string{"--config.file", good, "--web.listen-address", "vsock://:9985", "--web.listen-address", "127.0.0.1:0"}, exitUsage, "", "vsock:// --web.listen-address must be the only one", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, tt.env, append([]string{"exporter"}, tt.args...)...)
			if res.code != tt.code {
				t.Fatalf("exit %d, want %d; stdout %q stderr %q", res.code, tt.code, res.stdout, res.stderr)
			}
			if res.stdout != tt.stdout {
				t.Errorf("stdout %q, want %q", res.stdout, tt.stdout)
			}
			if tt.stderrHas == "" {
				if res.stderr != "" {
					t.Errorf("stderr %q, want none", res.stderr)
				}
				return
			}
			line := checkOneLine(t, res.stderr)
			if !strings.Contains(line, tt.stderrHas) {
				t.Errorf("%q does not say %q", line, tt.stderrHas)
			}
			if strings.Contains(line, "--config.file") != strings.Contains(tt.stderrHas, "--config.file") {
				t.Errorf("%q: the hint at --config.file is for a missing config file only", line)
			}
			if strings.Contains(line, demoPassword) {
				t.Errorf("stderr echoes the password: %q", line)
			}
			// A file's problem is not the command line's: no help hint.
			if got := strings.Contains(line, "cimjob --help"); got != tt.flag {
				t.Errorf("hint at --help: %v, want %v: %q", got, tt.flag, line)
			}
		})
	}
}

// gatedProxy forwards TCP connections to addr, each once release is
// closed; arrived is closed when the first connection comes.
func gatedProxy(t *testing.T, addr string) (proxy string, arrived <-chan struct{}, release func()) {
	t.Helper()
	came, gate := make(chan struct{}), make(chan struct{})
	var first, open sync.Once
	release = func() { open.Do(func() { close(gate) }) }
	proxy = loopbackTCP(t, func(c net.Conn) {
		defer c.Close()
		first.Do(func() { close(came) })
		<-gate
		d, err := net.Dial("tcp", addr)
		if err != nil {
			return
		}
		defer d.Close()
		go func() {
			io.Copy(d, c)
			d.(*net.TCPConn).CloseWrite()
		}()
		io.Copy(c, d)
	})
	t.Cleanup(release)
	return proxy, came, release
}

// TestExporterStopsGracefully: a probe in flight when the exporter is told
// to stop (its context ends, as on SIGTERM) still gets its answer, and the
// exporter then exits 0.
func TestExporterStopsGracefully(t *testing.T) {
	_, host := startSim(t, "default.json")
	proxy, arrived, release := gatedProxy(t, host)
	cfg := writeExporterConfig(t, "", exporterModules("hyperv"))
	r := startExporter(t, testExporterEnv(), "--config.file", cfg)
	type answer struct {
		code int
		body string
		err  error
	}
	answered := make(chan answer, 1)
	go func() {
		resp, err := http.Get(r.url + "/probe?" + url.Values{"target": {proxy}}.Encode())
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		answered <- answer{resp.StatusCode, string(b), err}
	}()
	<-arrived
	r.cancel()
	r.stderr.waitFor(t, "shutting down", 1, r.exited)
	release()
	a := <-answered
	if a.err != nil || a.code != http.StatusOK {
		t.Fatalf("the probe in flight got %d %v:\n%s", a.code, a.err, a.body)
	}
	if got := gauge(t, families(t, a.body), "cimjob_probe_success"); got != 1 {
		t.Errorf("cimjob_probe_success %v, want 1:\n%s", got, a.body)
	}
	if code := r.stop(); code != exitOK {
		t.Errorf("exit %d, want 0:\n%s", code, r.stderr)
	}
}

// TestExporterTelemetryPath: --web.telemetry-path moves /metrics, and the
// landing page links where it went.
func TestExporterTelemetryPath(t *testing.T) {
	cfg := writeExporterConfig(t, "", exporterModules("hyperv"))
	r := startExporter(t, testExporterEnv(), "--config.file", cfg, "--web.telemetry-path", "/internal/stats")
	if body := r.get(t, "/internal/stats"); !strings.Contains(body, "cimjob_exporter_build_info{") {
		t.Errorf("the telemetry path lacks the build info:\n%s", body)
	}
	if page := r.get(t, "/"); !strings.Contains(page, `href="/internal/stats"`) {
		t.Errorf("the landing page does not link the telemetry path:\n%s", page)
	}
	if code, _ := r.do(t, http.MethodGet, "/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics answered %d beside --web.telemetry-path, want 404", code)
	}
}

// TestExporterSeveralListenersWithWebConfig serves two addresses under a
// --web.config.file. exporter-toolkit's Serve wraps the server's Handler
// with the web config's checks, writing server.Handler: with one server
// for every listener (its ServeMultiple) the writes race, and the handler
// is wrapped once per listener. Each listener must get its own server,
// and each must ask for the password.
func TestExporterSeveralListenersWithWebConfig(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("scrape-secret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	web := filepath.Join(t.TempDir(), "web.yml")
	if err := os.WriteFile(web, []byte("basic_auth_users:\n  prometheus: "+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := writeExporterConfig(t, "", exporterModules("hyperv"))
	r := startExporter(t, testExporterEnv(), "--config.file", cfg,
		"--web.listen-address", "127.0.0.1:0", "--web.config.file", web)
	if len(r.urls) != 2 {
		t.Fatalf("listening on %v, want two addresses", r.urls)
	}
	for _, u := range r.urls {
		checkBasicAuth(t, http.DefaultClient, u+"/-/healthy")
	}
}

// checkBasicAuth checks that url answers the user "prometheus" of
// password "scrape-secret" only.
func checkBasicAuth(t *testing.T, client *http.Client, url string) {
	t.Helper()
	for _, tc := range []struct {
		user, password string
		want           int
	}{
		{"", "", http.StatusUnauthorized},
		{"prometheus", "wrong", http.StatusUnauthorized},
		{"prometheus", "scrape-secret", http.StatusOK},
	} {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tc.user != "" {
			req.SetBasicAuth(tc.user, tc.password)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET %s as %q: %d, want %d", url, tc.user, resp.StatusCode, tc.want)
		}
	}
}

// TestExporterWarnsOfOpenModules: at start and after each reload, one
// warning per module without a targets allow-list, naming it; none for a
// module with one.
func TestExporterWarnsOfOpenModules(t *testing.T) {
	const warning = "module has no targets allow-list"
	body := exporterModules("hyperv", "msps") + "  listed:\n    username: demo\n    password_env: " + envTestPassword + "\n    targets: ['hv[0-9]+']\n"
	cfg := writeExporterConfig(t, "", body)
	r := startExporter(t, testExporterEnv(), "--config.file", cfg)
	// The warnings come right after the start's line, and before a
	// reload answers.
	r.stderr.waitFor(t, "starting cimjob exporter", 1, r.exited)
	if code, out := r.do(t, http.MethodPost, "/-/reload"); code != http.StatusOK {
		t.Fatalf("reload: %d %s", code, out)
	}
	log := r.stderr.String()
	for _, m := range []string{"hyperv", "msps"} {
		if n := strings.Count(log, "module="+m+"\n"); n != 2 {
			t.Errorf("module %s warned of %d times, want 2 (start, reload):\n%s", m, n, log)
		}
	}
	if strings.Contains(log, "module=listed") || strings.Count(log, warning) != 4 {
		t.Errorf("want 4 warnings, none for the module with targets:\n%s", log)
	}
	if !strings.Contains(log, "level=WARN") {
		t.Errorf("the warnings are not at level warn:\n%s", log)
	}
}

// The --exporter.max-targets help says the bound is not a hard one.
func TestExporterMaxTargetsHelp(t *testing.T) {
	a := testApp(io.Discard, io.Discard, nil)
	if u := a.newExporterCmd().Flags().Lookup("exporter.max-targets").Usage; !strings.Contains(u, "being probed are kept even beyond it") {
		t.Errorf("--exporter.max-targets help %q does not say hosts being probed exceed it", u)
	}
}

// The help's example runs the shipped config (deploy/exporter.yml, as the
// packages install it) with the variables it sets, and nothing more.
func TestExporterHelpExampleLoadsShippedConfig(t *testing.T) {
	a := testApp(io.Discard, io.Discard, nil)
	ex := a.newExporterCmd().Example
	first, _, _ := strings.Cut(strings.TrimSpace(ex), "\n")
	set := map[string]string{}
	for _, w := range strings.Fields(first) {
		name, _, ok := strings.Cut(w, "=")
		if !ok || strings.HasPrefix(name, "-") {
			break
		}
		set[name] = "x"
	}
	if !strings.Contains(first, "/etc/cimjob/exporter.yml") {
		t.Fatalf("the example %q no longer runs the packaged config: update this test", first)
	}
	lookup := func(k string) (string, bool) { v, ok := set[k]; return v, ok }
	if _, err := loadExporterConfig(filepath.Join("..", "..", "deploy", "exporter.yml"), lookup); err != nil {
		t.Errorf("the help's example %q with deploy/exporter.yml: %v", first, err)
	}
}

// SIGHUP is caught before the config is read: its default action ends
// the process, and systemd's Restart=on-failure does not restart a
// service that SIGHUP ended, so a `systemctl reload` during the start
// would stop the exporter for good.
func TestExporterCatchesHangupsBeforeLoading(t *testing.T) {
	cfg := writeExporterConfig(t, "", exporterModules("hyperv"))
	a := testApp(io.Discard, io.Discard, testExporterEnv())
	subscribed := false
	a.hangups = func() (<-chan os.Signal, func()) {
		subscribed = true
		return make(chan os.Signal, 1), func() {}
	}
	env := a.lookupEnv
	early := false
	a.lookupEnv = func(k string) (string, bool) {
		if k == envTestPassword && !subscribed {
			early = true
		}
		return env(k)
	}
	if code := a.run(context.Background(), []string{"exporter", "--config.file", cfg, "--config.check"}); code != exitOK {
		t.Fatalf("--config.check exited %d", code)
	}
	if early {
		t.Error("the config was read before SIGHUP was caught")
	}
}
