package cim

import (
	"fmt"
	"sort"
)

//go:generate go run ./internal/valuemapgen -ref internal/valuemapgen/schema -out valuemaps_gen.go

// ValueMap is one DSP0004 ValueMap/Values pair: the names of the numbers an
// enumerated property or method return value may take, with the ranges
// ("x..y", "x..") and the catch-all ("..") that name everything else. The
// maps are generated from the DMTF and Microsoft schema data in
// internal/valuemapgen/schema; a ValueMap cannot be changed once made.
type ValueMap struct {
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

// Key is the map's registry key, "Class.Property" or
// "Class.Method.ReturnValue".
func (m *ValueMap) Key() string { return m.key }

// Source names the schema the map was generated from.
func (m *ValueMap) Source() string { return m.source }

// Lookup names v: its own entry first, then the first explicit range that
// holds it, then the ".." catch-all. A value none of them covers comes back
// with an empty Name, its number kept.
func (m *ValueMap) Lookup(v uint64) Enum {
	i := sort.Search(len(m.entries), func(i int) bool { return m.entries[i].value >= v })
	if i < len(m.entries) && m.entries[i].value == v {
		e := m.entries[i]
		return Enum{Value: v, Name: e.name, Description: e.description}
	}
	for _, r := range m.ranges {
		if v >= r.from && v <= r.to {
			return Enum{Value: v, Name: r.name, Range: true}
		}
	}
	if m.other != "" {
		return Enum{Value: v, Name: m.other, Range: true}
	}
	return Enum{Value: v}
}

// Entries returns the values the map lists by name, in numeric order.
func (m *ValueMap) Entries() []Enum {
	out := make([]Enum, len(m.entries))
	for i, e := range m.entries {
		out[i] = Enum{Value: e.value, Name: e.name, Description: e.description}
	}
	return out
}

// ValueMapOf returns the generated value map with the given key, such as
// "CIM_Error.PerceivedSeverity" or "Msvm_ConcreteJob.GetErrorEx.ReturnValue".
func ValueMapOf(key string) (*ValueMap, bool) {
	i := sort.Search(len(valueMapTable), func(i int) bool { return valueMapTable[i].key >= key })
	if i < len(valueMapTable) && valueMapTable[i].key == key {
		return &valueMapTable[i], true
	}
	return nil, false
}

// ValueMapKeys lists the keys ValueMapOf knows, sorted.
func ValueMapKeys() []string {
	keys := make([]string, len(valueMapTable))
	for i := range valueMapTable {
		keys[i] = valueMapTable[i].key
	}
	return keys
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
