package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cimjob/cimjob/exporter"
)

// TestCheckDemoProbe: the demo's exporter step calls a /probe answer
// wrong whenever it differs from what the host should give.
func TestCheckDemoProbe(t *testing.T) {
	const (
		success = "# TYPE cimjob_probe_success gauge\ncimjob_probe_success 1\n"
		failure = "# TYPE cimjob_probe_success gauge\ncimjob_probe_success 0\n"
		auth    = "# TYPE cimjob_probe_failure_info gauge\ncimjob_probe_failure_info{reason=\"auth\"} 1\n"
		jobs    = "# TYPE cimjob_failed_job_info gauge\n" +
			"cimjob_failed_job_info{host=\"h\",instance_id=\"B\",profile=\"hyperv\"} 1\n" +
			"cimjob_failed_job_info{host=\"h\",instance_id=\"A\",profile=\"hyperv\"} 1\n"
	)
	healthy := &demoTarget{wantSuccess: 1}
	failed := &demoTarget{wantSuccess: 1, wantFailed: []string{"A", "B"}}
	refusing := &demoTarget{wantReason: exporter.ReasonAuth}
	tests := []struct {
		name   string
		status int
		body   string
		t      *demoTarget
		want   string // in the complaint; "" for none
	}{
		{"healthy", http.StatusOK, success, healthy, ""},
		{"failed jobs in any order", http.StatusOK, success + jobs, failed, ""},
		{"refusing", http.StatusOK, failure + auth, refusing, ""},
		{"not 200", http.StatusBadRequest, success, healthy, "HTTP 400"},
		{"not an exposition", http.StatusOK, "cimjob_probe_success one\n", healthy, "not a Prometheus exposition"},
		{"no success", http.StatusOK, auth, refusing, "cimjob_probe_success is not 0"},
		{"success 0 on a healthy host", http.StatusOK, failure, healthy, "cimjob_probe_success is not 1"},
		{"failed jobs on a healthy host", http.StatusOK, success + jobs, healthy, "cimjob_failed_job_info lists jobs [A B]"},
		{"a failed job missing", http.StatusOK, success, failed, "the host has failed jobs [A B]"},
		{"a failure reason on success", http.StatusOK, success + auth, healthy, "gives reasons [auth], want []"},
		{"no failure reason", http.StatusOK, failure, refusing, "gives reasons [], want [auth]"},
		{"another reason", http.StatusOK, failure + strings.ReplaceAll(auth, "auth", "timeout"), refusing, "gives reasons [timeout], want [auth]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkDemoProbe(tt.status, tt.body, tt.t)
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("checkDemoProbe = %q, want %q", got, tt.want)
			}
		})
	}
}
