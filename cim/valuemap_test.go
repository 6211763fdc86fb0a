package cim

import (
	"sort"
	"testing"
)

// TestValueMapConstants checks that each generated constant names the map
// of its key, and that every map has data: a constant out of step with the
// table would name the wrong values.
func TestValueMapConstants(t *testing.T) {
	want := map[ValueMap]string{
		CIMErrorErrorType:                        "CIM_Error.ErrorType",
		CIMErrorPerceivedSeverity:                "CIM_Error.PerceivedSeverity",
		CIMErrorProbableCause:                    "CIM_Error.ProbableCause",
		CIMErrorErrorSourceFormat:                "CIM_Error.ErrorSourceFormat",
		CIMErrorCIMStatusCode:                    "CIM_Error.CIMStatusCode",
		CIMConcreteJobJobState:                   "CIM_ConcreteJob.JobState",
		CIMManagedSystemElementOperationalStatus: "CIM_ManagedSystemElement.OperationalStatus",
		CIMConcreteJobGetErrorReturnValue:        "CIM_ConcreteJob.GetError.ReturnValue",
		MsvmConcreteJobGetErrorReturnValue:       "Msvm_ConcreteJob.GetError.ReturnValue",
		MsvmConcreteJobGetErrorExReturnValue:     "Msvm_ConcreteJob.GetErrorEx.ReturnValue",
		MsvmConcreteJobJobState:                  "Msvm_ConcreteJob.JobState",
		MsvmConcreteJobJobType:                   "Msvm_ConcreteJob.JobType",
		MspsProvisioningJobJobState:              "Msps_ProvisioningJob.JobState",
		MspsProvisioningJobGetErrorReturnValue:   "Msps_ProvisioningJob.GetError.ReturnValue",
	}
	all := ValueMaps()
	if len(all) != len(want) {
		t.Errorf("ValueMaps() has %d maps, want %d", len(all), len(want))
	}
	var keys []string
	for _, m := range all {
		keys = append(keys, m.Key())
		if m.Key() != want[m] || m.String() != m.Key() || m.Source() == "" || len(m.Entries()) == 0 {
			t.Errorf("map %d: key %q (want %q), source %q, %d entries", m, m.Key(), want[m], m.Source(), len(m.Entries()))
		}
	}
	if !sort.StringsAreSorted(keys) {
		t.Errorf("keys not sorted: %q", keys)
	}
}

// TestNoValueMap checks that the zero map and a number that is no map
// name nothing and keep the value, rather than panic.
func TestNoValueMap(t *testing.T) {
	for _, m := range []ValueMap{0, ValueMap(len(ValueMaps()) + 1), 65535} {
		if got := m.Lookup(7); got != (Enum{Value: 7}) {
			t.Errorf("ValueMap(%d).Lookup(7) = %+v", m, got)
		}
		if m.Key() != "" || m.Source() != "" || m.Entries() != nil || m.String() != "no value map" {
			t.Errorf("ValueMap(%d): key %q source %q entries %v string %q", m, m.Key(), m.Source(), m.Entries(), m.String())
		}
	}
}

func TestValueMapLookup(t *testing.T) {
	tests := []struct {
		m     ValueMap
		value uint64
		want  Enum
	}{
		{CIMErrorPerceivedSeverity, 5, Enum{Value: 5, Name: "Major", Description: "Major should be used to indicate action is needed NOW."}},
		{CIMErrorPerceivedSeverity, 42, Enum{Value: 42, Name: "DMTF Reserved", Range: true}},
		{CIMErrorCIMStatusCode, 0, Enum{Value: 0, Name: "DMTF Reserved", Range: true}},
		{CIMErrorProbableCause, 33, Enum{Value: 33, Name: "Out of Memory"}},
		{CIMConcreteJobJobState, 12, Enum{Value: 12, Name: "Query Pending", Description: "Query pending (12) waiting for a client to resolve a query"}},
		{CIMConcreteJobJobState, 13, Enum{Value: 13, Name: "DMTF Reserved", Range: true}},
		{CIMConcreteJobJobState, 40000, Enum{Value: 40000, Name: "Vendor Reserved", Range: true}},
		{CIMConcreteJobJobState, 1, Enum{Value: 1}},         // below every entry and range, no ".."
		{CIMConcreteJobJobState, 70000, Enum{Value: 70000}}, // above the uint16 vendor range
		{CIMManagedSystemElementOperationalStatus, 0x8001, Enum{Value: 0x8001, Name: "Vendor Reserved", Range: true}},
		{CIMManagedSystemElementOperationalStatus, 1 << 40, Enum{Value: 1 << 40, Name: "Vendor Reserved", Range: true}},
		{CIMManagedSystemElementOperationalStatus, 20, Enum{Value: 20, Name: "DMTF Reserved", Range: true}},
		{CIMConcreteJobGetErrorReturnValue, 7, Enum{Value: 7, Name: "DMTF Reserved", Range: true}},
		{CIMConcreteJobGetErrorReturnValue, 32768, Enum{Value: 32768, Name: "Vendor Specific", Range: true}},
		{MsvmConcreteJobGetErrorExReturnValue, 32773, Enum{Value: 32773, Name: "Invalid parameter"}},
		{MsvmConcreteJobGetErrorExReturnValue, 4096, Enum{Value: 4096}},
		{MsvmConcreteJobJobType, 100, Enum{Value: 100, Name: "Initiate Synced Replication"}},
		{MspsProvisioningJobJobState, 3, Enum{Value: 3, Name: "PendingBoot"}},
		{MspsProvisioningJobGetErrorReturnValue, 7, Enum{Value: 7, Name: "DMTF Reserved", Range: true}},
	}
	for _, tc := range tests {
		if got := tc.m.Lookup(tc.value); got != tc.want {
			t.Errorf("%s.Lookup(%d) = %+v, want %+v", tc.m, tc.value, got, tc.want)
		}
	}
	// Hyper-V jobs report Query Pending like DMTF ones, and the status code
	// errata are corrected.
	if got := MsvmConcreteJobJobState.Lookup(12); got.Name != "Query Pending" {
		t.Errorf("Msvm JobState 12 = %+v", got)
	}
	if got := CIMErrorCIMStatusCode.Lookup(22); got.Description != "CIM_ERR_INVALID_OPERATION_TIMEOUT. The specified operation timeout is not supported by the CIM Server." {
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
