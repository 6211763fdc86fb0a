package main

import (
	"bytes"
	"fmt"
	"go/format"
	"math"
	"sort"
	"strconv"
	"strings"
)

// vmap is one value map as it will be written.
type vmap struct {
	key, source string
	notes       []string // written as comments above the map
	entries     []entry
	ranges      []rng
	other       string
}

type entry struct {
	value       uint64
	name, desc  string
	descComment string // why desc differs from the schema text, if it does
}

type rng struct {
	from, to uint64
	name     string
}

// refs holds the reference files by name.
type refs map[string]node

const (
	fileError   = "cim_error.json"
	fileJob     = "cim_concretejob.json"
	fileMsvm    = "msvm_concretejob.json"
	fileMsps    = "msps_provisioningjob.json"
	statusCodes = "CIMStatusCode"
)

// generate reads the reference directory and returns the formatted source
// of valuemaps_gen.go.
func generate(dir string) ([]byte, error) {
	r := refs{}
	for _, f := range []string{fileError, fileJob, fileMsvm, fileMsps} {
		n, err := loadJSON(dir, f)
		if err != nil {
			return nil, err
		}
		r[f] = n
	}
	maps, err := r.maps()
	if err != nil {
		return nil, err
	}
	header, err := r.header()
	if err != nil {
		return nil, err
	}
	return render(header, maps)
}

// maps builds every value map the cim package holds, sorted by key.
func (r refs) maps() ([]vmap, error) {
	errSrc, err := r.errorSource()
	if err != nil {
		return nil, err
	}
	jobSrc, err := r.jobSource()
	if err != nil {
		return nil, err
	}
	var out []vmap
	add := func(m vmap, err error) error {
		if err != nil {
			return err
		}
		out = append(out, m)
		return nil
	}
	e := r[fileError]
	for _, prop := range []string{"ErrorType", "PerceivedSeverity", "ProbableCause", "ErrorSourceFormat", statusCodes} {
		m, err := property("CIM_Error."+prop, errSrc, e, prop)
		if err == nil && prop == statusCodes {
			err = fixStatusCodeErrata(&m, e)
		}
		if err := add(m, err); err != nil {
			return nil, err
		}
	}
	j := r[fileJob]
	steps := []func() error{
		func() error { return add(property("CIM_ConcreteJob.JobState", jobSrc, j, "properties", "JobState")) },
		func() error {
			return add(property("CIM_ManagedSystemElement.OperationalStatus", jobSrc, j, "properties", "OperationalStatus"))
		},
		func() error {
			return add(returnValues("CIM_ConcreteJob.GetError.ReturnValue", jobSrc, j, "methods", "GetError"))
		},
		func() error { return r.msvmMaps(&out, jobSrc) },
		func() error { return r.mspsMaps(&out) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].key < out[b].key })
	return out, nil
}

func (r refs) errorSource() (string, error) {
	e := r[fileError]
	schema, err := e.str("_meta", "schema")
	if err != nil {
		return "", err
	}
	version, err := e.str("_meta", "version")
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s, CIM_Error %s", schema, version), nil
}

func (r refs) jobSource() (string, error) {
	j := r[fileJob]
	schema, err := j.str("_meta", "schema")
	if err != nil {
		return "", err
	}
	version, err := j.str("classes", "CIM_ConcreteJob", "version")
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s, CIM_ConcreteJob %s", schema, version), nil
}

// property builds a map from a {"valuemap", "value_descriptions"} object.
func property(key, source string, n node, path ...string) (vmap, error) {
	p, err := n.get(path...)
	if err != nil {
		return vmap{}, err
	}
	vm, err := p.strings("valuemap")
	if err != nil {
		return vmap{}, err
	}
	descs := map[string]string{}
	if p.has("value_descriptions") {
		if descs, err = p.strings("value_descriptions"); err != nil {
			return vmap{}, err
		}
	}
	return build(key, source, vm, descs)
}

// returnValues builds a map from a method's "return_valuemap".
func returnValues(key, source string, n node, path ...string) (vmap, error) {
	vm, err := n.strings(append(path, "return_valuemap")...)
	if err != nil {
		return vmap{}, err
	}
	return build(key, source, vm, nil)
}

// build parses DSP0004 ValueMap entries: "n", "x..y", "x.." (open), ".."
// (everything not listed). Numbers may be hexadecimal ("0x8000").
func build(key, source string, valuemap, descs map[string]string) (vmap, error) {
	m := vmap{key: key, source: source}
	seen := map[uint64]bool{}
	for k, name := range valuemap {
		if k == ".." {
			m.other = name
			continue
		}
		if from, to, ok := strings.Cut(k, ".."); ok {
			lo, hi := uint64(0), uint64(math.MaxUint64)
			var err error
			if from != "" {
				if lo, err = parseNumber(from); err != nil {
					return m, fmt.Errorf("%s: range %q: %w", key, k, err)
				}
			}
			if to != "" {
				if hi, err = parseNumber(to); err != nil {
					return m, fmt.Errorf("%s: range %q: %w", key, k, err)
				}
			}
			if lo > hi {
				return m, fmt.Errorf("%s: empty range %q", key, k)
			}
			m.ranges = append(m.ranges, rng{from: lo, to: hi, name: name})
			continue
		}
		v, err := parseNumber(k)
		if err != nil {
			return m, fmt.Errorf("%s: entry %q: %w", key, k, err)
		}
		if seen[v] {
			return m, fmt.Errorf("%s: value %d listed twice", key, v)
		}
		seen[v] = true
		m.entries = append(m.entries, entry{value: v, name: name, desc: descs[k]})
	}
	sort.Slice(m.entries, func(a, b int) bool { return m.entries[a].value < m.entries[b].value })
	sort.Slice(m.ranges, func(a, b int) bool { return m.ranges[a].from < m.ranges[b].from })
	if len(m.entries) == 0 {
		return m, fmt.Errorf("%s: no entries", key)
	}
	return m, nil
}

func parseNumber(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	if h, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		return strconv.ParseUint(h, 16, 64)
	}
	return strconv.ParseUint(s, 10, 64)
}

// fixStatusCodeErrata replaces the CIMStatusCode descriptions the DMTF MOF
// copied from another value (8 from 9; 22 and 23 from 20, see
// cim_error.json _meta.errata) with the meanings Microsoft's MI_Result
// gives. A value is only replaced while its text still duplicates the other
// one, so a corrected reference file wins.
func fixStatusCodeErrata(m *vmap, e node) error {
	mi, err := e.get(statusCodes, "mi_result_cross_reference", "values")
	if err != nil {
		return err
	}
	copies := map[uint64]uint64{8: 9, 22: 20, 23: 20}
	text := func(v uint64) string {
		for _, en := range m.entries {
			if en.value == v {
				_, rest, _ := strings.Cut(en.desc, ". ")
				return rest
			}
		}
		return ""
	}
	for i := range m.entries {
		en := &m.entries[i]
		from, ok := copies[en.value]
		if !ok || text(en.value) != text(from) {
			continue
		}
		comment, err := mi.str(strconv.FormatUint(en.value, 10), "comment")
		if err != nil {
			return err
		}
		en.desc = en.name + ". " + comment
		en.descComment = fmt.Sprintf("Erratum: the DMTF MOF repeats the text of %d here; meaning from MI_Result (cim_error.json _meta.errata).", from)
	}
	return nil
}

// msvmMaps adds the Hyper-V Msvm_ConcreteJob maps.
func (r refs) msvmMaps(out *[]vmap, jobSrc string) error {
	v := r[fileMsvm]
	docs, err := v.get("_meta", "sources", "docs")
	if err != nil {
		return err
	}
	commit, _ := docs.str("commit")
	src := "Microsoft Hyper-V WMI docs (MicrosoftDocs/win32@" + short(commit) + ")"
	job, err := v.get("classes", "Msvm_ConcreteJob")
	if err != nil {
		return err
	}
	for _, method := range []string{"GetError", "GetErrorEx"} {
		m, err := returnValues("Msvm_ConcreteJob."+method+".ReturnValue", src, job, "methods", method)
		if err != nil {
			return err
		}
		*out = append(*out, m)
	}

	// JobState: the doc page stops at 11, but the live root\virtualization\v2
	// CIM_ConcreteJob carries the DMTF map (12 = Query Pending).
	state, err := property("Msvm_ConcreteJob.JobState", src, job, "properties", "JobState")
	if err != nil {
		return err
	}
	if same, err := v.get("live_schema_crosscheck", "CIM_Job_CIM_ConcreteJob_valuemaps_equal_DMTF_2.49", "CIM_ConcreteJob.JobState"); err == nil && same.v == true {
		dmtf, err := property("Msvm_ConcreteJob.JobState", jobSrc, r[fileJob], "properties", "JobState")
		if err != nil {
			return err
		}
		dmtf.notes = []string{
			"The Hyper-V doc page lists JobState only to 11 (12..32767 DMTF Reserved); a live",
			"root\\virtualization\\v2 schema dump has the DMTF CIM_ConcreteJob map, used here.",
		}
		state = dmtf
	}
	if err := addMeanings(&state, job, "JobState"); err != nil {
		return err
	}
	*out = append(*out, state)

	// JobType: the doc page and the live dump list the same values; the doc
	// spells 100 correctly. Prefer the live map if it ever lists more.
	jt, err := property("Msvm_ConcreteJob.JobType", src, job, "properties", "JobType")
	if err != nil {
		return err
	}
	live, err := v.strings("live_schema_crosscheck", "Msvm_ConcreteJob.JobType_live_valuemap")
	if err != nil {
		return err
	}
	if len(live) > len(jt.entries)+len(jt.ranges) {
		if jt, err = build("Msvm_ConcreteJob.JobType", src+" and a live schema dump", live, nil); err != nil {
			return err
		}
		jt.notes = []string{"From the live schema dump, which lists more values than the doc page."}
	} else {
		jt.notes = []string{"From the doc page; a live schema dump lists the same values (it spells 100 \"Inititate\")."}
	}
	*out = append(*out, jt)
	return nil
}

// addMeanings fills missing entry descriptions from a doc page's
// values_detail list ({"value", "meaning"}).
func addMeanings(m *vmap, class node, prop string) error {
	if !class.has("properties", prop, "values_detail") {
		return nil
	}
	details, err := class.list("properties", prop, "values_detail")
	if err != nil {
		return err
	}
	meaning := map[uint64]string{}
	for _, d := range details {
		v, err1 := d.str("value")
		text, err2 := d.str("meaning")
		if err1 != nil || err2 != nil {
			continue // null meaning
		}
		if n, err := parseNumber(v); err == nil {
			meaning[n] = text
		}
	}
	for i := range m.entries {
		if m.entries[i].desc == "" {
			m.entries[i].desc = meaning[m.entries[i].value]
		}
	}
	return nil
}

// mspsMaps adds the Msps_ProvisioningJob maps.
func (r refs) mspsMaps(out *[]vmap) error {
	p := r[fileMsps]
	commit, err := p.str("_meta", "sources", "commit")
	if err != nil {
		return err
	}
	src := "Microsoft MSPS WMI docs (MicrosoftDocs/win32@" + short(commit) + ")"
	job, err := p.get("classes", "Msps_ProvisioningJob")
	if err != nil {
		return err
	}
	state, err := property("Msps_ProvisioningJob.JobState", src, job, "properties", "JobState")
	if err != nil {
		return err
	}
	state.notes = []string{"MSPS overrides JobState: 3 is PendingBoot, not the DMTF Starting."}
	ret, err := returnValues("Msps_ProvisioningJob.GetError.ReturnValue", src, job, "methods", "GetError")
	if err != nil {
		return err
	}
	*out = append(*out, state, ret)
	return nil
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

// header returns the attribution comment: sources and the DMTF notice.
func (r refs) header() ([]string, error) {
	e, j, v, p := r[fileError], r[fileJob], r[fileMsvm], r[fileMsps]
	get := func(n node, keys ...string) string {
		s, err := n.str(keys...)
		if err != nil {
			return "?"
		}
		return s
	}
	notice, err := e.str("_meta", "dmtf_notice")
	if err != nil {
		return nil, err
	}
	lines := []string{
		"The value maps below are facts of the DMTF CIM Schema and of Microsoft's WMI class",
		"documentation, generated from the data in cim/internal/valuemapgen/schema (its README names",
		"the source of each file):",
		"",
		fmt.Sprintf("  - %s: %s, CIM_Error %s (%s), from %s@%s %s.", fileError,
			get(e, "_meta", "schema"), get(e, "_meta", "version"), get(e, "_meta", "mof_file"),
			get(e, "_meta", "source", "repo"), short(get(e, "_meta", "source", "commit")), get(e, "_meta", "source", "path")),
		fmt.Sprintf("  - %s: %s, CIM_ConcreteJob %s / CIM_Job %s, from %s@%s %s.", fileJob,
			get(j, "_meta", "schema"), get(j, "classes", "CIM_ConcreteJob", "version"), get(j, "classes", "CIM_Job", "version"),
			get(j, "_meta", "source", "repo"), short(get(j, "_meta", "source", "commit")), get(j, "_meta", "source", "path")),
		fmt.Sprintf("  - %s: Microsoft documentation %s@%s %s, cross-checked with a live schema dump (%s@%s).", fileMsvm,
			get(v, "_meta", "sources", "docs", "repo"), short(get(v, "_meta", "sources", "docs", "commit")), get(v, "_meta", "sources", "docs", "folder"),
			get(v, "_meta", "sources", "live_schema_dump", "repo"), short(get(v, "_meta", "sources", "live_schema_dump", "commit"))),
		fmt.Sprintf("  - %s: Microsoft documentation %s@%s %s.", fileMsps,
			get(p, "_meta", "sources", "repo"), short(get(p, "_meta", "sources", "commit")), get(p, "_meta", "sources", "folder")),
		"",
		"DMTF attribution (cim_error.json _meta.dmtf_notice):",
		"",
	}
	var out []string
	for _, l := range lines {
		if !strings.HasPrefix(l, "  - ") {
			out = append(out, l)
			continue
		}
		for i, w := range wrap(l, 88) {
			if i == 0 {
				out = append(out, "  - "+w[2:])
			} else {
				out = append(out, "    "+w)
			}
		}
	}
	return append(out, wrap(notice, 92)...), nil
}

// wrap breaks text into lines of at most width characters.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// ident is the Go name of a value map's constant: its key without the
// underscores and dots ("Msvm_ConcreteJob.JobState" gives
// MsvmConcreteJobJobState).
func ident(key string) (string, error) {
	name := strings.NewReplacer("_", "", ".", "").Replace(key)
	if name == "" || name[0] < 'A' || name[0] > 'Z' {
		return "", fmt.Errorf("value map key %q does not make an exported Go name", key)
	}
	for _, c := range name {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return "", fmt.Errorf("value map key %q does not make a Go name", key)
		}
	}
	return name, nil
}

func render(header []string, maps []vmap) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("// Code generated by valuemapgen from cim/internal/valuemapgen/schema/*.json. DO NOT EDIT.\n")
	b.WriteString("// To regenerate: go generate ./cim (the go:generate line is in cim/valuemap.go).\n\n")
	for _, l := range header {
		b.WriteString(strings.TrimRight("// "+l, " ") + "\n")
	}
	b.WriteString("\npackage cim\n\n")
	b.WriteString("// The value maps, one for each enumerated property and method return\n")
	b.WriteString("// value the package reads, named after its key without underscores and dots.\n")
	b.WriteString("const (\n")
	seen := map[string]string{}
	for i, m := range maps {
		name, err := ident(m.key)
		if err != nil {
			return nil, err
		}
		if other, dup := seen[name]; dup {
			return nil, fmt.Errorf("value maps %q and %q both make the Go name %s", other, m.key, name)
		}
		seen[name] = m.key
		fmt.Fprintf(&b, "\t// %s is the value map of %s.\n\t%s", name, m.key, name)
		if i == 0 {
			b.WriteString(" ValueMap = iota + 1")
		}
		b.WriteString("\n")
	}
	b.WriteString(")\n\n")
	b.WriteString("// valueMapTable holds the data of every ValueMap v at index v-1, sorted by key.\n")
	b.WriteString("var valueMapTable = [...]valueMapData{\n")
	for _, m := range maps {
		for _, n := range m.notes {
			fmt.Fprintf(&b, "\t// %s\n", n)
		}
		fmt.Fprintf(&b, "\t{\n\t\tkey: %q,\n\t\tsource: %q,\n\t\tentries: []valueMapEntry{\n", m.key, m.source)
		for _, e := range m.entries {
			if e.descComment != "" {
				fmt.Fprintf(&b, "\t\t\t// %s\n", e.descComment)
			}
			fmt.Fprintf(&b, "\t\t\t{%d, %q, %q},\n", e.value, e.name, e.desc)
		}
		b.WriteString("\t\t},\n")
		if len(m.ranges) > 0 {
			b.WriteString("\t\tranges: []valueMapRange{\n")
			for _, r := range m.ranges {
				to := strconv.FormatUint(r.to, 10)
				if r.to == math.MaxUint64 {
					to = "math.MaxUint64"
				}
				fmt.Fprintf(&b, "\t\t\t{%d, %s, %q},\n", r.from, to, r.name)
			}
			b.WriteString("\t\t},\n")
		}
		if m.other != "" {
			fmt.Fprintf(&b, "\t\tother: %q,\n", m.other)
		}
		b.WriteString("\t},\n")
	}
	b.WriteString("}\n")
	src := b.Bytes()
	if bytes.Contains(src, []byte("math.MaxUint64")) {
		src = bytes.Replace(src, []byte("\npackage cim\n"), []byte("\npackage cim\n\nimport \"math\"\n"), 1)
	}
	out, err := format.Source(src)
	if err != nil {
		return nil, fmt.Errorf("formatting generated code: %w", err)
	}
	return out, nil
}
