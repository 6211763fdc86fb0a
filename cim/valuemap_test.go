package cim

import (
	"sort"
	"testing"
)

func TestValueMapKeys(t *testing.T) {
	keys := ValueMapKeys()
	if !sort.StringsAreSorted(keys) {
		t.Errorf("keys not sorted: %q", keys)
	}
	for _, k := range []string{
		"CIM_Error.ErrorType", "CIM_Error.PerceivedSeverity", "CIM_Error.ProbableCause",
		"CIM_Error.ErrorSourceFormat", "CIM_Error.CIMStatusCode", "CIM_ConcreteJob.JobState",
		"CIM_ManagedSystemElement.OperationalStatus", "CIM_ConcreteJob.GetError.ReturnValue",
		"Msvm_ConcreteJob.GetError.ReturnValue", "Msvm_ConcreteJob.GetErrorEx.ReturnValue",
		"Msvm_ConcreteJob.JobState", "Msvm_ConcreteJob.JobType", "Msps_ProvisioningJob.JobState",
		"Msps_ProvisioningJob.GetError.ReturnValue",
	} {
		m, ok := ValueMapOf(k)
		if !ok || m.Key() != k || m.Source() == "" || len(m.Entries()) == 0 {
			t.Errorf("ValueMapOf(%q) = %v, %v", k, m, ok)
		}
	}
	if _, ok := ValueMapOf("CIM_Error.Nope"); ok {
		t.Error("unknown key found")
	}
}

func TestValueMapLookup(t *testing.T) {
	tests := []struct {
		key   string
		value uint64
		want  Enum
	}{
		{"CIM_Error.PerceivedSeverity", 5, Enum{Value: 5, Name: "Major", Description: "Major should be used to indicate action is needed NOW."}},
		{"CIM_Error.PerceivedSeverity", 42, Enum{Value: 42, Name: "DMTF Reserved", Range: true}},
		{"CIM_Error.CIMStatusCode", 0, Enum{Value: 0, Name: "DMTF Reserved", Range: true}},
		{"CIM_Error.ProbableCause", 33, Enum{Value: 33, Name: "Out of Memory"}},
		{"CIM_ConcreteJob.JobState", 12, Enum{Value: 12, Name: "Query Pending", Description: "Query pending (12) waiting for a client to resolve a query"}},
		{"CIM_ConcreteJob.JobState", 13, Enum{Value: 13, Name: "DMTF Reserved", Range: true}},
		{"CIM_ConcreteJob.JobState", 40000, Enum{Value: 40000, Name: "Vendor Reserved", Range: true}},
		{"CIM_ConcreteJob.JobState", 1, Enum{Value: 1}},         // below every entry and range, no ".."
		{"CIM_ConcreteJob.JobState", 70000, Enum{Value: 70000}}, // above the uint16 vendor range
		{"CIM_ManagedSystemElement.OperationalStatus", 0x8001, Enum{Value: 0x8001, Name: "Vendor Reserved", Range: true}},
		{"CIM_ManagedSystemElement.OperationalStatus", 1 << 40, Enum{Value: 1 << 40, Name: "Vendor Reserved", Range: true}},
		{"CIM_ManagedSystemElement.OperationalStatus", 20, Enum{Value: 20, Name: "DMTF Reserved", Range: true}},
		{"CIM_ConcreteJob.GetError.ReturnValue", 7, Enum{Value: 7, Name: "DMTF Reserved", Range: true}},
		{"CIM_ConcreteJob.GetError.ReturnValue", 32768, Enum{Value: 32768, Name: "Vendor Specific", Range: true}},
		{"Msvm_ConcreteJob.GetErrorEx.ReturnValue", 32773, Enum{Value: 32773, Name: "Invalid parameter"}},
		{"Msvm_ConcreteJob.GetErrorEx.ReturnValue", 4096, Enum{Value: 4096}},
		{"Msvm_ConcreteJob.JobType", 100, Enum{Value: 100, Name: "Initiate Synced Replication"}},
		{"Msps_ProvisioningJob.JobState", 3, Enum{Value: 3, Name: "PendingBoot"}},
		{"Msps_ProvisioningJob.GetError.ReturnValue", 7, Enum{Value: 7, Name: "DMTF Reserved", Range: true}},
	}
	for _, tc := range tests {
		m, ok := ValueMapOf(tc.key)
		if !ok {
			t.Fatalf("no map %s", tc.key)
		}
		if got := m.Lookup(tc.value); got != tc.want {
			t.Errorf("%s.Lookup(%d) = %+v, want %+v", tc.key, tc.value, got, tc.want)
		}
	}
	// Hyper-V jobs report Query Pending like DMTF ones, and the status code
	// errata are corrected.
	m, _ := ValueMapOf("Msvm_ConcreteJob.JobState")
	if got := m.Lookup(12); got.Name != "Query Pending" {
		t.Errorf("Msvm JobState 12 = %+v", got)
	}
	m, _ = ValueMapOf("CIM_Error.CIMStatusCode")
	if got := m.Lookup(22); got.Description != "CIM_ERR_INVALID_OPERATION_TIMEOUT. The specified operation timeout is not supported by the CIM Server." {
		t.Errorf("CIMStatusCode 22 description = %q", got.Description)
	}
}

func TestEnumString(t *testing.T) {
	tests := []struct {
		e    *Enum
		want string
	}{
		{&Enum{Value: 5, Name: "Major"}, "Major (5)"},
		{&Enum{Value: 40, Name: "DMTF Reserved", Range: true}, "DMTF Reserved (40)"},
		{&Enum{Value: 77}, "unlisted (77)"},
		{nil, "NULL"},
	}
	for _, tc := range tests {
		if got := tc.e.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}
