package exporter

// The families a probe adds to fleet's (its /probe response).
const (
	// MetricProbeSuccess is 1 when the host answered the listing, else 0.
	MetricProbeSuccess = "cimjob_probe_success"
	// MetricProbeDuration is how long the probe took, in seconds.
	MetricProbeDuration = "cimjob_probe_duration_seconds"
	// MetricProbeFailureInfo is 1, with the failure's reason, when the
	// probe failed; absent otherwise.
	MetricProbeFailureInfo = "cimjob_probe_failure_info"
)
