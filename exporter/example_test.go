package exporter_test

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/cimjob/cimjob/exporter"
	"github.com/cimjob/cimjob/simulator"
)

// One probe of a simulated Hyper-V host, as Prometheus asks for it: the
// password comes from the environment variable the module names.
func Example() {
	hosts, err := simulator.NewFleet(simulator.FleetOptions{Hosts: 1, Jobs: 20, Seed: 5, Profiles: []string{"hyperv"}})
	if err != nil {
		panic(err)
	}
	defer hosts.Close()
	u, _ := url.Parse(hosts.Hosts()[0].URL)

	cfg, err := exporter.ParseConfig([]byte(`
modules:
  hyperv:
    username: demo
    password_env: CIMJOB_PASSWORD
`), "", func(name string) (string, bool) {
		if name == "CIMJOB_PASSWORD" {
			return "demo-password", true // os.LookupEnv in real use
		}
		return "", false
	})
	if err != nil {
		panic(err)
	}
	e := exporter.New(cfg, exporter.Options{})
	defer e.Close()

	req := httptest.NewRequest("GET", "/probe?module=hyperv&target="+url.QueryEscape(u.Host), nil)
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "10")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if strings.HasPrefix(line, "cimjob_probe_success") || strings.HasPrefix(line, "cimjob_host_failed_jobs") {
			fmt.Println(strings.ReplaceAll(line, u.Host, "HOST"))
		}
	}
	// Output:
	// cimjob_host_failed_jobs{host="HOST"} 2
	// cimjob_probe_success 1
}
