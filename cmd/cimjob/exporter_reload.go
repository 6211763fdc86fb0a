package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cimjob/cimjob/exporter"
)

// reloader rereads the exporter's config on SIGHUP and POST /-/reload. A
// config that does not load leaves the one in use in place.
type reloader struct {
	path   string
	env    func(string) (string, bool)
	exp    *exporter.Exporter
	logger *slog.Logger
	// onReload, if set, learns each config put in use (the landing page).
	onReload func(*exporter.Config) error

	mu          sync.Mutex // one reload at a time
	successful  prometheus.Gauge
	successTime prometheus.Gauge
}

func newReloader(path string, env func(string) (string, bool), exp *exporter.Exporter, logger *slog.Logger) *reloader {
	rl := &reloader{
		path: path, env: env, exp: exp, logger: logger,
		successful: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "cimjob_exporter_config_last_reload_successful",
			Help: "Whether the last configuration reload attempt was successful.",
		}),
		successTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "cimjob_exporter_config_last_reload_success_timestamp_seconds",
			Help: "Timestamp of the last successful configuration reload.",
		}),
	}
	// The config in use was loaded at start.
	rl.successful.Set(1)
	rl.successTime.SetToCurrentTime()
	return rl
}

// reload rereads the file and puts it in use if it loads; why is what
// asked for it, for the log.
func (rl *reloader) reload(why string) error {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	cfg, err := loadExporterConfig(rl.path, rl.env)
	if err == nil && rl.onReload != nil {
		err = rl.onReload(cfg)
	}
	if err != nil {
		rl.successful.Set(0)
		rl.logger.Error("reload failed, the previous config stays in use", "by", why, "err", oneLine(err.Error()))
		return err
	}
	rl.exp.SetConfig(cfg)
	rl.successful.Set(1)
	rl.successTime.SetToCurrentTime()
	// Before the reload's own line, which ends what a reload logs.
	warnOpenModules(rl.logger, cfg)
	rl.logger.Info("reloaded config", "by", why, "config", rl.path, "modules", strings.Join(cfg.ModuleNames(), ","))
	return nil
}

// warnOpenModules logs a warning for each module without a targets
// allow-list, at start and after each reload: whoever can reach /probe
// can make the exporter send that module's credentials to a host of
// their choosing.
func warnOpenModules(logger *slog.Logger, cfg *exporter.Config) {
	for _, name := range cfg.ModuleNames() {
		if len(cfg.Modules[name].Targets) == 0 {
			logger.Warn("module has no targets allow-list: whoever can reach /probe can make the exporter send its credentials to any host; list its hosts under targets, or restrict who reaches the exporter", "module", name)
		}
	}
}

// ServeHTTP is /-/reload: POST or PUT reloads; 500 and the reason, in one
// line, if the config does not load.
func (rl *reloader) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		w.Header().Set("Allow", "POST, PUT")
		http.Error(w, "use POST or PUT to reload the config", http.StatusMethodNotAllowed)
		return
	}
	if err := rl.reload(pathReload); err != nil {
		http.Error(w, "reload failed, the previous config stays in use: "+oneLine(err.Error()), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "config reloaded")
}

func (rl *reloader) Describe(ch chan<- *prometheus.Desc) {
	rl.successful.Describe(ch)
	rl.successTime.Describe(ch)
}

func (rl *reloader) Collect(ch chan<- prometheus.Metric) {
	rl.successful.Collect(ch)
	rl.successTime.Collect(ch)
}
