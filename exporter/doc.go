// Package exporter is a Prometheus multi-target exporter of Windows
// management jobs, in the pattern of blackbox_exporter and snmp_exporter:
// Prometheus scrapes /probe?target=HOST&module=NAME for one host at a
// time, and the Exporter answers with the metric families of
// `cimjob check -o prometheus` for that host (package fleet), plus
// cimjob_probe_success, cimjob_probe_duration_seconds and, on failure,
// cimjob_probe_failure_info{reason}.
//
// Modules (Config, loaded from YAML by LoadConfig) say how to reach and
// authenticate to a class of hosts; credentials come from environment
// variables named in the file or from owner-only files, never from the
// file itself, the target or a label.
//
// A configuration with one module:
//
//	modules:
//	  hyperv:
//	    auth: ntlm              # sealed over http, the default
//	    username: CORP\svc-monitor
//	    password_env: CIMJOB_PASSWORD
//	    timeout: 20s
//	    failed_states: [Killed]
//	    targets: ['hv[0-9]+\.corp\.example']
//
// Without targets (the allow-list), anyone who can reach /probe can make
// the exporter authenticate, with the module's credentials, to a host of
// their choosing: list the targets, or restrict who reaches the port.
//
// Between scrapes the Exporter keeps, per (module, target), a WS-Man
// client (its connections stay authenticated) and the errors of the
// target's failed jobs, fetched once per InstanceID and forgotten when the
// job leaves the host's listing: a scrape of a warm healthy host is one
// HTTP request. Kept targets are bounded (Options.MaxTargets, least
// recently probed evicted) and closed when idle (Options.TargetIdle).
//
// Credentials a host refuses are not sent again at once: the module's
// probes are held back (answered with reason auth, without a connection)
// for a growing back-off, one probe per back-off trying again, so that a
// wrong password cannot lock its account out. Probes under way are
// bounded by Options.MaxConcurrentProbes.
//
// The Exporter is also a prometheus.Collector of its own metrics
// (cimjob_exporter_*), for the exporter's /metrics; they carry no target
// label, whose values would be unbounded.
package exporter
