package main

import (
	"context"
	"fmt"
	"html"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/cimjob/cimjob/exporter"
	"github.com/cimjob/cimjob/internal/buildinfo"
)

// The exporter's own endpoints, beside the landing page and the telemetry
// path.
const (
	pathProbe   = "/probe"
	pathHealthy = "/-/healthy"
	pathReady   = "/-/ready"
	pathReload  = "/-/reload"
)

// reservedPath reports whether p is one of the endpoints above, which
// --web.telemetry-path must not take.
func reservedPath(p string) bool {
	switch p {
	case pathProbe, pathHealthy, pathReady, pathReload:
		return true
	}
	return false
}

// Bounds of what a client of the exporter may send: a scrape is a GET of
// a short URL. No write timeout: a probe takes up to its module's timeout.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
)

// newExporterHandler builds the handler of the exporter's endpoints and
// the registry of its own metrics.
func newExporterHandler(exp *exporter.Exporter, rl *reloader, telemetryPath string) (http.Handler, error) {
	reg := prometheus.NewRegistry()
	if err := registerAll(reg,
		exp,
		rl,
		newBuildInfo(buildinfo.Get()),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	); err != nil {
		return nil, err
	}
	landing := &landingPage{telemetryPath: telemetryPath}
	if err := landing.update(exp.Config()); err != nil {
		return nil, err
	}
	rl.onReload = landing.update

	mux := http.NewServeMux()
	mux.Handle("/", landing)
	mux.Handle(pathProbe, exp)
	mux.Handle(telemetryPath, promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc(pathHealthy, plain("Healthy"))
	mux.HandleFunc(pathReady, plain("Ready"))
	mux.Handle(pathReload, rl)
	return mux, nil
}

// newHTTPServer is one listener's server of h. Each listener needs its
// own: exporter-toolkit's web.Serve wraps the server's Handler with the
// --web.config.file checks by writing server.Handler, so a server shared
// by several listeners (as its ServeMultiple shares one) is written by
// each at once, and its handler wrapped once per listener. What the
// server itself logs (failed TLS handshakes, a handler's panic) goes to
// logger, in --log.format and under --log.level, not to the log package.
func newHTTPServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
	}
}

func registerAll(reg *prometheus.Registry, cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("registering the exporter's metrics: %w", err)
		}
	}
	return nil
}

// plain answers every request with msg, as Prometheus's own /-/healthy
// and /-/ready do.
func plain(msg string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, msg)
	}
}

// newBuildInfo is cimjob_exporter_build_info: 1, labelled with the build
// that `cimjob version` prints, under the labels of client_golang's
// version collector.
func newBuildInfo(in buildinfo.Info) prometheus.Collector {
	goos, goarch, _ := strings.Cut(in.Platform, "/")
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "cimjob_exporter_build_info",
		Help: "A metric with a constant '1' value labelled by the version, revision and Go version cimjob was built from.",
		ConstLabels: prometheus.Labels{
			"version": in.Version, "revision": in.Commit, "goversion": in.GoVersion, "goos": goos, "goarch": goarch,
		},
	})
	g.Set(1)
	return g
}

// landingPage is the page at /: links, a probe form and the names of the
// loaded modules (never their settings), rebuilt at each reload.
type landingPage struct {
	telemetryPath string
	page          atomic.Pointer[web.LandingPageHandler]
}

func (l *landingPage) update(cfg *exporter.Config) error {
	names := cfg.ModuleNames()
	var list strings.Builder
	list.WriteString("<h3>Modules</h3>\n<ul>\n")
	for _, n := range names {
		// The toolkit's template is text/template: escape here.
		fmt.Fprintf(&list, "<li><code>%s</code></li>\n", html.EscapeString(n))
	}
	list.WriteString("</ul>\n")
	first := ""
	if len(names) > 0 {
		first = names[0]
	}
	h, err := web.NewLandingPage(web.LandingConfig{
		Name:        "cimjob exporter",
		Description: "Prometheus exporter of the jobs of Windows hosts, and of why the failed ones failed",
		Version:     buildVersion(),
		Profiling:   "false",
		Links: []web.LandingLinks{
			{Address: l.telemetryPath, Text: "Metrics", Description: "the exporter's own metrics"},
			{Address: pathHealthy, Text: "Health", Description: "200 while the exporter runs"},
		},
		Form: web.LandingForm{
			Action: pathProbe,
			Inputs: []web.LandingFormInput{
				{Label: "Target", Type: "text", Name: "target", Placeholder: "hv01.corp.example"},
				{Label: "Module", Type: "text", Name: "module", Value: first},
			},
		},
		ExtraHTML: list.String(),
	})
	if err != nil {
		return fmt.Errorf("landing page: %w", err)
	}
	l.page.Store(h)
	return nil
}

func (l *landingPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.page.Load().ServeHTTP(w, r)
}

// listenAll listens on every address, or on none if one fails.
func (a *app) listenAll(ctx context.Context, addrs []string) ([]net.Listener, error) {
	listen := a.listen
	if listen == nil {
		var lc net.ListenConfig
		listen = lc.Listen
	}
	var ls []net.Listener
	for _, addr := range addrs {
		l, err := listen(ctx, "tcp", addr)
		if err != nil {
			for _, l := range ls {
				l.Close()
			}
			return nil, &usageError{fmt.Errorf("--web.listen-address %s: %w", addr, err)}
		}
		ls = append(ls, l)
	}
	return ls, nil
}
