package exporter

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cimjob/cimjob/fleet"
)

// scrapeTimeoutHeader is the header in which Prometheus sends the scrape's
// timeout, in seconds.
const scrapeTimeoutHeader = "X-Prometheus-Scrape-Timeout-Seconds"

// ServeHTTP is the /probe handler: module and target from the query, the
// probe's metrics in the text exposition format. A missing or unknown
// module or a malformed target is 400, a target off the module's
// allow-list 403, each with a one-line text/plain body; otherwise the
// answer is 200, whether the host answered or not.
func (e *Exporter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	cfg := e.Config()
	name := q.Get("module")
	if name == "" {
		if cfg == nil || len(cfg.Modules) != 1 {
			refuse(w, http.StatusBadRequest, "no module: give module=NAME, one of: "+moduleNames(cfg))
			return
		}
		for n := range cfg.Modules {
			name = n
		}
	}
	m := cfg.module(name)
	if m == nil && cfg != nil && cfg.Modules[name] != nil {
		// A Config built by hand: its credentials were never resolved.
		refuse(w, http.StatusInternalServerError, fmt.Sprintf("module %q was not loaded: build the Config with LoadConfig or ParseConfig", name))
		return
	}
	if m == nil {
		if !validModuleName(name) {
			refuse(w, http.StatusBadRequest, "unknown module: give module=NAME, one of: "+moduleNames(cfg))
		} else {
			refuse(w, http.StatusBadRequest, fmt.Sprintf("unknown module %q: give one of: %s", name, moduleNames(cfg)))
		}
		return
	}
	// Trimmed here, so that the allow-list, the kept target and the host
	// label all see the host as wsman.Endpoint does.
	target := strings.TrimSpace(q.Get("target"))
	if target == "" {
		refuse(w, http.StatusBadRequest, "no target: give target=HOST (a host name, host:port or http(s) URL)")
		return
	}
	url, err := targetURL(target, m)
	if err != nil {
		refuse(w, http.StatusBadRequest, err.Error())
		return
	}
	if !m.pathAllowed(url) {
		refuse(w, http.StatusForbidden, fmt.Sprintf("target %q: module %s has an allow-list (targets), so a URL target's path must be the module's, %s: give the host, or set path in the module", target, name, m.urlPath()))
		return
	}
	if !m.allowed(target) {
		refuse(w, http.StatusForbidden, fmt.Sprintf("target %q is not on the allow-list (targets) of module %s: add a pattern for it there, or probe it with another module", target, name))
		return
	}

	ctx, cancel := context.WithTimeout(r.Context(), e.timeout(m, r.Header.Get(scrapeTimeoutHeader)))
	defer cancel()
	res := e.probe(ctx, name, m, target, url)

	result := "success"
	if res.reason != "" {
		result = "failure"
		e.metrics.failures.WithLabelValues(name, string(res.reason)).Inc()
	}
	e.metrics.probes.WithLabelValues(name, result).Inc()
	e.metrics.duration.WithLabelValues(name).Observe(res.host.Duration.Seconds())
	attrs := []any{"module", name, "target", target, "result", result, "duration", res.host.Duration}
	msg := "probe"
	switch {
	case res.held != nil:
		// No traffic: say so, and until when.
		msg = "probe held back: the module's credentials were refused"
		attrs = append(attrs, "reason", string(res.reason), "until", res.held.until, "target_only", res.held.target)
	case res.reason != "":
		attrs = append(attrs, "reason", string(res.reason), "err", res.host.Err)
	}
	e.log.DebugContext(r.Context(), msg, attrs...)

	reg := prometheus.NewRegistry()
	reg.MustRegister(fleet.NewCollector(res.host), res)
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}).ServeHTTP(w, r)
}

// timeout is the probe's: the module's, lowered to the scrape's timeout
// (header) less the offset, so that the answer reaches Prometheus in time.
// A header that is not a positive number of seconds is ignored.
func (e *Exporter) timeout(m *Module, header string) time.Duration {
	d := m.r.timeout
	secs, err := strconv.ParseFloat(strings.TrimSpace(header), 64)
	if err != nil || !(secs > 0) || math.IsInf(secs, 0) || secs > d.Seconds()+e.opt.TimeoutOffset.Seconds() {
		return d
	}
	scrape := time.Duration(secs * float64(time.Second))
	budget := scrape - e.opt.TimeoutOffset
	if budget <= 0 {
		// No room for the offset: half the scrape's timeout still leaves
		// time to answer.
		budget = scrape / 2
	}
	return min(d, budget)
}

// refuse answers a bad probe request with one text/plain line.
func refuse(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	fmt.Fprintln(w, strings.ReplaceAll(msg, "\n", " "))
}

// moduleNames lists the configured modules' names (never anything else
// of them).
func moduleNames(cfg *Config) string {
	names := cfg.ModuleNames()
	if len(names) == 0 {
		return "(none configured)"
	}
	return strings.Join(names, ", ")
}
