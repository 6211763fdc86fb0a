package main

import (
	"strings"
	"testing"
)

// TestJobForms: --job takes what admins copy from PowerShell and event
// logs: a {GUID}, and WMI object paths, which also pick the profile,
// namespace and class; flags that contradict a path are usage errors.
func TestJobForms(t *testing.T) {
	_, host := startSim(t, "default.json")
	const (
		hvJob   = "5F1E2D3C-4B5A-4000-8000-000000000001"
		mspsJob = "9D8C7B6A-5E4F-4000-8000-000000000002"
	)
	hvPath := `root\virtualization\v2:Msvm_ConcreteJob.InstanceID="` + hvJob + `"`
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"braced guid", []string{"--job", "{" + hvJob + "}"}, exitJobFailed, "without braces", ""},
		{"lower-case guid", []string{"--job", strings.ToLower(hvJob)}, exitJobFailed, "Msvm_ConcreteJob", ""},
		{"path", []string{"--job", hvPath}, exitJobFailed, "Msvm_ConcreteJob in root/virtualization/v2", ""},
		{"path with the host's server", []string{"--job", `\\127.0.0.1\` + hvPath}, exitJobFailed, "Msvm_ConcreteJob", ""},
		{"path with another server", []string{"--job", `\\HV02\` + hvPath}, exitJobFailed, "Msvm_ConcreteJob", "warning: --job names server HV02"},
		{"path in single quotes", []string{"--job", `root\MSPS:Msps_ProvisioningJob.InstanceID='` + mspsJob + `'`}, exitJobFailed, "Msps_ProvisioningJob in root/MSPS", ""},
		{"relative path", []string{"--job", `Msps_ProvisioningJob.InstanceID="` + mspsJob + `"`}, exitJobFailed, "Msps_ProvisioningJob in root/MSPS", ""},
		{"path and the same profile", []string{"--profile", "msps", "--job", `root\MSPS:Msps_ProvisioningJob.InstanceID="` + mspsJob + `"`}, exitJobFailed, "Msps_ProvisioningJob", ""},
		{"path and another profile", []string{"--profile", "hyperv", "--job", `root\MSPS:Msps_ProvisioningJob.InstanceID="` + mspsJob + `"`}, exitUsage, "", "--profile hyperv conflicts with --job"},
		{"path and another class", []string{"--class", "Msvm_MigrationJob", "--job", hvPath}, exitUsage, "", "--class Msvm_MigrationJob conflicts"},
		{"path and another namespace", []string{"--namespace", `root\cimv2`, "--job", hvPath}, exitUsage, "", "--namespace root\\cimv2 conflicts"},
		{"path and the same namespace", []string{"--namespace", `root\virtualization\v2`, "--job", hvPath}, exitJobFailed, "Msvm_ConcreteJob", ""},
		{"relative path of an unknown class", []string{"--job", `MSFT_StorageJob.InstanceID="x"`}, exitUsage, "", "without a namespace"},
		{"bad path", []string{"--job", `root\virtualization\v2:Msvm_ConcreteJob.InstanceID="` + hvJob}, exitUsage, "", "quote is not closed"},
		{"path with another key", []string{"--job", `root\virtualization\v2:Msvm_ConcreteJob.Name="x"`}, exitUsage, "", "named by InstanceID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, demoEnv(), append([]string{"error", "--host", host, "--allow-unencrypted"}, tt.args...)...)
			if r.code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr %q", r.code, tt.wantCode, r.stderr)
			}
			if !strings.Contains(r.stdout, tt.wantStdout) {
				t.Errorf("stdout does not say %q:\n%s", tt.wantStdout, r.stdout)
			}
			if tt.wantStderr == "" && r.stderr != "" || !strings.Contains(r.stderr, tt.wantStderr) {
				t.Errorf("stderr %q, want %q", r.stderr, tt.wantStderr)
			}
		})
	}
}
