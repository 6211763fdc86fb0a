package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// schemaDir is the module's copy of the schema data, as seen from this
// package. It is part of the module, so its absence is a failure: a check
// that skipped here would pass in every clone that lost the data.
const schemaDir = "schema"

// TestGeneratedFileUpToDate regenerates the value maps in-process and
// compares them with the committed cim/valuemaps_gen.go.
func TestGeneratedFileUpToDate(t *testing.T) {
	got, err := generate(schemaDir)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	want, err := os.ReadFile(filepath.Join("..", "..", "valuemaps_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("cim/valuemaps_gen.go is stale: run go generate ./cim")
	}
}

func TestBuild(t *testing.T) {
	m, err := build("K", "src", map[string]string{
		"0": "Zero", "2": "Two", "..": "Reserved", "3..9": "Low", "0x8000..": "Vendor", "..1": "ignored-open-start",
	}, map[string]string{"2": "the second"})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.entries) != 2 || m.entries[1].desc != "the second" || m.other != "Reserved" {
		t.Errorf("entries %+v other %q", m.entries, m.other)
	}
	want := []rng{{0, 1, "ignored-open-start"}, {3, 9, "Low"}, {0x8000, math.MaxUint64, "Vendor"}}
	if len(m.ranges) != len(want) {
		t.Fatalf("ranges = %+v", m.ranges)
	}
	for i := range want {
		if m.ranges[i] != want[i] {
			t.Errorf("range %d = %+v, want %+v", i, m.ranges[i], want[i])
		}
	}
	for _, bad := range []map[string]string{
		{"x": "NaN"},
		{"5..3": "backwards"},
		{"1..z": "bad end"},
		{"..": "only a catch-all"},
		{"1": "a", "01": "same value twice"},
	} {
		if _, err := build("K", "src", bad, nil); err == nil {
			t.Errorf("build(%v) succeeded", bad)
		}
	}
}

func TestGenerateMissingDir(t *testing.T) {
	if _, err := generate(t.TempDir()); err == nil {
		t.Error("generate on an empty directory succeeded")
	}
}

func TestIdent(t *testing.T) {
	for key, want := range map[string]string{
		"Msvm_ConcreteJob.GetErrorEx.ReturnValue": "MsvmConcreteJobGetErrorExReturnValue",
		"CIM_Error.CIMStatusCode":                 "CIMErrorCIMStatusCode",
	} {
		if got, err := ident(key); err != nil || got != want {
			t.Errorf("ident(%q) = %q, %v; want %q", key, got, err, want)
		}
	}
	for _, bad := range []string{"", "_.", "lower.Case", "CIM_Error.Bad-Name"} {
		if got, err := ident(bad); err == nil {
			t.Errorf("ident(%q) = %q, want an error", bad, got)
		}
	}
}
