package cim

import (
	"fmt"
	"sort"
)

//go:generate go run ./internal/valuemapgen -ref internal/valuemapgen/schema -out valuemaps_gen.go

// Enum is an enumerated (ValueMap) value: the raw number as sent and its
// name. Values outside the listed entries take the name of the range that
// holds them ("DMTF Reserved", "Vendor Specific", ...).
type Enum struct {
	Value uint64 `json:"value"`
	Name  string `json:"name"`
	// Range is set when Name comes from a range ("x..y" or "..") rather than
	// an entry of its own.
	Range bool `json:"range,omitempty"`
	// Description is the per-value text from the schema, where it has one.
	Description string `json:"description,omitempty"`
}

// String gives "Major (5)", "DMTF Reserved (40)", or "unlisted (77)" for a
// value no entry or range names.
func (e *Enum) String() string {
	if e == nil {
		return "NULL"
	}
	name := e.Name
	if name == "" {
		name = "unlisted"
	}
	return fmt.Sprintf("%s (%d)", name, e.Value)
}

// ValueMap names one DSP0004 ValueMap/Values pair: the names of the numbers
// an enumerated property or method return value may take, with the ranges
// ("x..y", "x..") and the catch-all ("..") that name everything else.
//
// Each map is a generated constant named after its key, such as
// CIMErrorPerceivedSeverity ("CIM_Error.PerceivedSeverity") or
// MsvmConcreteJobGetErrorExReturnValue
// ("Msvm_ConcreteJob.GetErrorEx.ReturnValue"), so that a misspelled map does
// not compile. The data comes from the DMTF and Microsoft schema files in
// internal/valuemapgen/schema and cannot be changed. The zero ValueMap is
// no map: it names nothing, and Lookup keeps the bare number.
type ValueMap uint16

// valueMapData is the generated content of one ValueMap.
type valueMapData struct {
	key     string
	source  string
	entries []valueMapEntry // sorted by value
	ranges  []valueMapRange // in schema order
	other   string          // name of the ".." catch-all, "" if there is none
}

type valueMapEntry struct {
	value       uint64
	name        string
	description string
}

// valueMapRange is an inclusive range; an open "x.." range has to = max uint64.
type valueMapRange struct {
	from, to uint64
	name     string
}

// data is the map's content; nil for the zero ValueMap or a number that
// is no generated map.
func (m ValueMap) data() *valueMapData {
	if m == 0 || int(m) > len(valueMapTable) {
		return nil
	}
	return &valueMapTable[m-1]
}

// Key is the map's schema name, "Class.Property" or
// "Class.Method.ReturnValue"; "" for no map.
func (m ValueMap) Key() string {
	if d := m.data(); d != nil {
		return d.key
	}
	return ""
}

// String is the key, or "no value map".
func (m ValueMap) String() string {
	if d := m.data(); d != nil {
		return d.key
	}
	return "no value map"
}

// Source names the schema the map was generated from.
func (m ValueMap) Source() string {
	if d := m.data(); d != nil {
		return d.source
	}
	return ""
}

// Lookup names v: its own entry first, then the first explicit range that
// holds it ("DMTF Reserved", "Vendor Specific", ...), then the ".."
// catch-all. It never fails: a value none of them covers, or any value
// with no map, comes back with an empty Name and its number kept.
func (m ValueMap) Lookup(v uint64) Enum {
	d := m.data()
	if d == nil {
		return Enum{Value: v}
	}
	i := sort.Search(len(d.entries), func(i int) bool { return d.entries[i].value >= v })
	if i < len(d.entries) && d.entries[i].value == v {
		e := d.entries[i]
		return Enum{Value: v, Name: e.name, Description: e.description}
	}
	for _, r := range d.ranges {
		if v >= r.from && v <= r.to {
			return Enum{Value: v, Name: r.name, Range: true}
		}
	}
	if d.other != "" {
		return Enum{Value: v, Name: d.other, Range: true}
	}
	return Enum{Value: v}
}

// Entries returns the values the map lists by name, in numeric order.
func (m ValueMap) Entries() []Enum {
	d := m.data()
	if d == nil {
		return nil
	}
	out := make([]Enum, len(d.entries))
	for i, e := range d.entries {
		out[i] = Enum{Value: e.value, Name: e.name, Description: e.description}
	}
	return out
}

// ValueMaps lists every generated map, sorted by key.
func ValueMaps() []ValueMap {
	out := make([]ValueMap, len(valueMapTable))
	for i := range out {
		out[i] = ValueMap(i + 1)
	}
	return out
}
