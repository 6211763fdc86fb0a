// Package deploy holds the files shipped to run `cimjob exporter`, and the
// tests that check them; it has no Go API.
//
//   - exporter.yml: example exporter modules (no secrets: they name
//     environment variables and files).
//   - prometheus/prometheus.yml: the scrape config (multi-target
//     relabelling, file_sd targets in prometheus/targets/, the exporter's
//     own job, hashmod sharding examples); checked with promtool check
//     config and check service-discovery.
//   - prometheus/cimjob-rules.yml: the alerts; checked with promtool check
//     rules and tested with promtool test rules
//     (prometheus/cimjob-rules_test.yml).
//   - systemd/cimjob-exporter.service: the hardened unit; checked with
//     systemd-analyze verify.
//
// The tests run Debian's promtool (package prometheus) and systemd-analyze
// (package systemd); without them they skip, and under CI, which installs
// both, they fail (internal/testdeps). docs/exporter.md documents the
// files and lists the metrics.
package deploy
