package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-systemd/v22/activation"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/spf13/cobra"

	"github.com/cimjob/cimjob/exporter"
)

// exporterFlags are the flags of `cimjob exporter`, named as Prometheus
// exporters name theirs.
type exporterFlags struct {
	configFile    string
	configCheck   bool
	listen        []string
	webConfig     string
	systemdSocket bool
	telemetryPath string
	logLevel      *promslog.Level
	logFormat     *promslog.Format
	maxTargets    int
	targetIdle    time.Duration
	timeoutOffset time.Duration
	maxProbes     int
}

// defaultExporterAddress is the exporter's port: 9985, free on the
// Prometheus default port allocations page when chosen, not yet listed there.
const defaultExporterAddress = ":9985"

func (a *app) newExporterCmd() *cobra.Command {
	f := exporterFlags{logLevel: promslog.NewLevel(), logFormat: promslog.NewFormat()}
	cmd := &cobra.Command{
		Use:   "exporter [--config.file FILE]",
		Short: "Serve the jobs of Windows hosts to Prometheus (multi-target exporter)",
		Long: `exporter is a Prometheus exporter of the pattern of blackbox_exporter: Prometheus
scrapes /probe?target=HOST&module=NAME for one host at a time, and exporter
lists that host's jobs and the errors of its failed ones (each fetched once
and kept while the job is listed), answering with the families of
'cimjob check -o prometheus' and cimjob_probe_success.

Modules (profile, authentication, credentials, TLS, timeouts) come from the
YAML file --config.file. Credentials are read from environment variables
and owner-only files the modules name, never from the file itself, a URL
or a label.

Endpoints: / (this exporter's modules and links), /probe, /metrics (the
exporter's own metrics; --web.telemetry-path), /-/healthy, /-/ready and
/-/reload (POST or PUT: reread --config.file; SIGHUP does the same). A
config that does not load at start is an error (exit 2); one that does not
load at a reload is logged, and the previous one stays in use.`,
		Example: `  CIMJOB_USER=... CIMJOB_PASSWORD=... cimjob exporter --config.file /etc/cimjob/exporter.yml
  cimjob exporter --config.file exporter.yml --config.check
  curl 'http://localhost:9985/probe?module=hyperv&target=hv01.corp.example'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runExporter(cmd.Context(), &f)
		},
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	fs.StringVar(&f.configFile, "config.file", "cimjob-exporter.yml", "YAML `file` of the exporter's modules")
	fs.BoolVar(&f.configCheck, "config.check", false, "check --config.file (and --web.config.file) and exit: 0 if they load, 2 if not")
	fs.StringArrayVar(&f.listen, "web.listen-address", []string{defaultExporterAddress}, "`address` to listen on, host:port (repeat for more)")
	fs.StringVar(&f.webConfig, "web.config.file", "", "exporter-toolkit web config: TLS and basic auth of the exporter's own endpoints")
	fs.BoolVar(&f.systemdSocket, "web.systemd-socket", false, "listen on the sockets systemd passes (socket activation) instead of --web.listen-address")
	fs.StringVar(&f.telemetryPath, "web.telemetry-path", "/metrics", "path of the exporter's own metrics")
	fs.Var(&slogFlag{f.logLevel, "level"}, "log.level", "log only messages of this level or above: "+strings.Join(promslog.LevelFlagOptions, ", "))
	_ = f.logFormat.Set(promslog.FormatFlagOptions[0])
	fs.Var(&slogFlag{f.logFormat, "format"}, "log.format", "log format: "+strings.Join(promslog.FormatFlagOptions, ", "))
	fs.IntVar(&f.maxTargets, "exporter.max-targets", exporter.DefaultMaxTargets, "hosts whose connection and cached errors are kept between scrapes; the least recently probed beyond it is closed (hosts being probed are kept even beyond it)")
	fs.DurationVar(&f.targetIdle, "exporter.target-idle", exporter.DefaultTargetIdle, "close and forget a kept host not probed for this long")
	fs.IntVar(&f.maxProbes, "exporter.max-concurrent-probes", exporter.DefaultMaxConcurrentProbes, "probes under way at once; beyond it a probe waits for one to end, and fails with reason timeout if its deadline comes first")
	fs.DurationVar(&f.timeoutOffset, "exporter.timeout-offset", exporter.DefaultTimeoutOffset, "subtracted from Prometheus's scrape timeout (X-Prometheus-Scrape-Timeout-Seconds) to give a probe's deadline, so that the answer arrives in time")
	return cmd
}

// slogFlag adapts promslog's level and format values, which check what
// they are set to, to pflag.
type slogFlag struct {
	v interface {
		Set(string) error
		String() string
	}
	typ string
}

func (s *slogFlag) Set(v string) error { return s.v.Set(v) }
func (s *slogFlag) String() string     { return s.v.String() }
func (s *slogFlag) Type() string       { return s.typ }

// check refuses flag values the exporter cannot run with.
func (f *exporterFlags) check() error {
	switch {
	case f.maxTargets < 1:
		return &usageError{fmt.Errorf("--exporter.max-targets must be at least 1, not %d", f.maxTargets)}
	case f.maxProbes < 1:
		return &usageError{fmt.Errorf("--exporter.max-concurrent-probes must be at least 1, not %d", f.maxProbes)}
	case f.targetIdle <= 0:
		return &usageError{fmt.Errorf("--exporter.target-idle must be positive, not %s", f.targetIdle)}
	case f.timeoutOffset < 0:
		return &usageError{fmt.Errorf("--exporter.timeout-offset must not be negative, not %s", f.timeoutOffset)}
	case !strings.HasPrefix(f.telemetryPath, "/") || f.telemetryPath == "/":
		return &usageError{fmt.Errorf("--web.telemetry-path %q must be a path below / such as /metrics", f.telemetryPath)}
	case reservedPath(f.telemetryPath):
		return &usageError{fmt.Errorf("--web.telemetry-path %s is one of the exporter's own endpoints: choose another", f.telemetryPath)}
	case !f.systemdSocket && len(f.listen) == 0:
		return &usageError{errors.New("no --web.listen-address: give one, or --web.systemd-socket")}
	case !f.systemdSocket && hasVsock(f.listen) && len(f.listen) > 1:
		// Only the toolkit listens on vsock, with one server for all its
		// listeners (see newHTTPServer).
		return &usageError{errors.New("a vsock:// --web.listen-address must be the only one")}
	}
	return nil
}

// runExporter loads the modules, serves until ctx ends (SIGINT, SIGTERM)
// and then stops gracefully.
func (a *app) runExporter(ctx context.Context, f *exporterFlags) error {
	if err := f.check(); err != nil {
		return err
	}
	// SIGHUP is caught from here on: its default action ends the process,
	// and systemd does not restart a service that SIGHUP ended (a clean
	// signal to Restart=on-failure), so a reload asked for while the
	// exporter starts would stop it for good. One that comes before the
	// server runs reloads once it does.
	var hup <-chan os.Signal
	if a.hangups != nil {
		var stop func()
		hup, stop = a.hangups()
		defer stop()
	}
	cfg, err := loadExporterConfig(f.configFile, a.lookupEnv)
	if err != nil {
		return err
	}
	if err := web.Validate(f.webConfig); err != nil {
		return &configError{fmt.Errorf("--web.config.file %s: %w", f.webConfig, err)}
	}
	if f.configCheck {
		_, err := fmt.Fprintf(a.stdout, "%s: OK, modules: %s\n", f.configFile, strings.Join(cfg.ModuleNames(), ", "))
		return err
	}

	// Listening comes before anything runs, so that a port in use is one
	// line and exit 2 like any other bad start.
	listeners, err := a.exporterListeners(ctx, f)
	if err != nil {
		return err
	}
	defer func() {
		for _, l := range listeners {
			l.Close() // closed already when served; not when a later step failed
		}
	}()

	logger := promslog.New(&promslog.Config{Level: f.logLevel, Format: f.logFormat, Writer: a.stderr})
	exp := exporter.New(cfg, exporter.Options{
		Logger:              logger,
		MaxTargets:          f.maxTargets,
		TargetIdle:          f.targetIdle,
		TimeoutOffset:       f.timeoutOffset,
		MaxConcurrentProbes: f.maxProbes,
		UserAgent:           "cimjob/" + buildVersion(),
	})
	defer exp.Close()
	rl := newReloader(f.configFile, a.lookupEnv, exp, logger)
	handler, err := newExporterHandler(exp, rl, f.telemetryPath)
	if err != nil {
		return err
	}
	logger.Info("starting cimjob exporter", "version", buildVersion(), "config", f.configFile, "modules", strings.Join(cfg.ModuleNames(), ","))
	warnOpenModules(logger, cfg)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if hup != nil {
		var wg sync.WaitGroup
		wg.Add(1)
		// Stopped, and waited for, before exp closes: no reload after.
		defer func() {
			cancel()
			wg.Wait()
		}()
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case <-hup:
					_ = rl.reload("SIGHUP")
				}
			}
		}()
	}
	return a.serveExporter(ctx, handler, listeners, f, logger)
}

// loadExporterConfig loads the modules. A config that does not load is a
// problem of the file (exit 2), which the command line's help would not fix.
func loadExporterConfig(path string, env func(string) (string, bool)) (*exporter.Config, error) {
	cfg, err := exporter.LoadConfig(path, env)
	if err != nil {
		return nil, &configError{err}
	}
	return cfg, nil
}

// shutdownGrace is how long a stopping exporter lets the probes in flight
// finish before it closes their connections.
const shutdownGrace = 30 * time.Second

// exporterListeners listens where the flags say: on systemd's sockets,
// or on every --web.listen-address. It returns none for a vsock address,
// on which only the toolkit listens (see serveExporter).
func (a *app) exporterListeners(ctx context.Context, f *exporterFlags) ([]net.Listener, error) {
	switch {
	case f.systemdSocket:
		ls, err := activation.Listeners()
		if err != nil {
			return nil, &usageError{fmt.Errorf("--web.systemd-socket: %w", err)}
		}
		if len(ls) == 0 {
			return nil, &usageError{errors.New("--web.systemd-socket: systemd passed no socket: start the exporter from its .socket unit, or give --web.listen-address")}
		}
		return ls, nil
	case hasVsock(f.listen):
		return nil, nil
	}
	return a.listenAll(ctx, f.listen)
}

// serveExporter serves h on the listeners until ctx ends or serving fails,
// then shuts down: it stops accepting, and waits up to shutdownGrace for
// the requests in flight.
func (a *app) serveExporter(ctx context.Context, h http.Handler, listeners []net.Listener, f *exporterFlags, logger *slog.Logger) error {
	flags := &web.FlagConfig{WebListenAddresses: &f.listen, WebSystemdSocket: &f.systemdSocket, WebConfigFile: &f.webConfig}
	var servers []*http.Server
	var served chan error // one end per server, buffered: never waited for after a failure
	if len(listeners) == 0 {
		// The one vsock address (check allows no other beside it).
		srv := newHTTPServer(h, logger)
		servers, served = []*http.Server{srv}, make(chan error, 1)
		go func() { served <- web.ListenAndServe(srv, flags, logger) }()
	} else {
		servers, served = serveEach(listeners, h, flags, logger)
	}
	select {
	case err := <-served:
		// It ended on its own: a listener or the web config failed.
		shutdownAll(context.Background(), servers)
		return &usageError{fmt.Errorf("serving: %w", err)}
	case <-ctx.Done():
	}
	logger.Info("shutting down", "grace", shutdownGrace)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	err := shutdownAll(sctx, servers)
	for range servers {
		if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
	}
	if err != nil {
		logger.Warn("shutdown", "err", err)
	}
	return nil
}

// serveEach serves every listener with its own server of h; the channel
// receives each server's end.
func serveEach(listeners []net.Listener, h http.Handler, flags *web.FlagConfig, logger *slog.Logger) ([]*http.Server, chan error) {
	servers := make([]*http.Server, len(listeners))
	served := make(chan error, len(listeners))
	for i, l := range listeners {
		srv := newHTTPServer(h, logger)
		servers[i] = srv
		go func() { served <- web.Serve(l, srv, flags, logger) }()
	}
	return servers, served
}

// shutdownAll shuts the servers down at once, closing those that do not
// finish before ctx ends; the first error is returned.
func shutdownAll(ctx context.Context, servers []*http.Server) error {
	errs := make(chan error, len(servers))
	for _, srv := range servers {
		go func() {
			err := srv.Shutdown(ctx)
			if err != nil {
				srv.Close()
			}
			errs <- err
		}()
	}
	var first error
	for range servers {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// hasVsock reports whether an address is a vsock one, which only the
// toolkit can listen on.
func hasVsock(addrs []string) bool {
	for _, a := range addrs {
		if strings.HasPrefix(a, "vsock://") {
			return true
		}
	}
	return false
}
