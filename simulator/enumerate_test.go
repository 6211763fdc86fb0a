package simulator

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
)

const (
	v2Star  = wmiPrefix + "root/virtualization/v2/*"
	cimJobs = wmiPrefix + "root/cimv2/CIM_ConcreteJob"
)

// enumEnvelope is a request of the enumeration family, written here (not
// with package wsman) so that the simulator is checked against the spec's
// shapes rather than against the client it serves.
func enumEnvelope(action, uri string, maxEnv int, body string) []byte {
	env := ""
	if maxEnv > 0 {
		env = fmt.Sprintf(`<w:MaxEnvelopeSize s:mustUnderstand="true">%d</w:MaxEnvelopeSize>`, maxEnv)
	}
	return []byte(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ` +
		`xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">` +
		`<s:Header><a:To>http://localhost:5985/wsman</a:To><w:ResourceURI s:mustUnderstand="true">` + uri + `</w:ResourceURI>` +
		`<a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>` +
		`<a:Action s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/09/enumeration/` + action + `</a:Action>` +
		`<a:MessageID>` + testMID + `</a:MessageID>` + env + `<w:OperationTimeout>PT20S</w:OperationTimeout></s:Header>` +
		`<s:Body>` + body + `</s:Body></s:Envelope>`)
}

func enumerateBody(filter string, optimize bool, maxEl int) string {
	b := "<n:Enumerate>"
	if filter != "" {
		b += `<w:Filter Dialect="http://schemas.microsoft.com/wbem/wsman/1/WQL">` + escapeString(filter) + `</w:Filter>`
	}
	if optimize {
		b += "<w:OptimizeEnumeration/>"
		if maxEl > 0 {
			b += fmt.Sprintf("<w:MaxElements>%d</w:MaxElements>", maxEl)
		}
	}
	return b + "</n:Enumerate>"
}

func escapeString(s string) string { return string(escapeText(s)) }

// page is what a test reads from an EnumerateResponse or PullResponse.
type page struct {
	status     int
	fault      string // subcode local name
	action     string
	context    string
	hasContext bool
	end        bool
	itemsNS    string
	items      []*etree.Element
	size       int
}

func readPage(t *testing.T, ex exchange) page {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(ex.body); err != nil {
		t.Fatalf("reply is not XML: %v\n%s", err, ex.body)
	}
	p := page{status: ex.status, size: len(ex.body)}
	root := doc.Root()
	if h := child(root, nsSOAP, "Header"); h != nil {
		p.action = textOf(child(h, nsAddressing, "Action"))
		if rt := textOf(child(h, nsAddressing, "RelatesTo")); rt != testMID {
			t.Errorf("RelatesTo %q", rt)
		}
	}
	body := child(root, nsSOAP, "Body")
	resp := firstChild(body)
	if resp == nil {
		return p
	}
	if resp.Tag == "Fault" {
		code := resp.FindElement("Code/Subcode/Value")
		if code != nil {
			p.fault = code.Text()[strings.IndexByte(code.Text(), ':')+1:]
		}
		return p
	}
	if c := child(resp, nsEnumeration, "EnumerationContext"); c != nil {
		p.context, p.hasContext = c.Text(), true
	}
	for _, ns := range []string{nsWSMan, nsEnumeration} {
		if child(resp, ns, "EndOfSequence") != nil {
			p.end = true
		}
		if items := child(resp, ns, "Items"); items != nil {
			p.itemsNS = ns
			p.items = append(p.items, items.ChildElements()...)
		}
	}
	return p
}

func itemID(el *etree.Element) string {
	for _, c := range el.ChildElements() {
		if c.Tag == "InstanceID" {
			return c.Text()
		}
	}
	return ""
}

// enumerateAll runs an optimized Enumerate and Pulls to the end,
// checking each reply's shape, and returns the items.
func enumerateAll(t *testing.T, url, uri, filter string, maxEl, maxEnv int) []*etree.Element {
	t.Helper()
	p := readPage(t, post(t, url, enumEnvelope("Enumerate", uri, maxEnv, enumerateBody(filter, true, maxEl))))
	if p.status != 200 || p.action != nsEnumeration+"/EnumerateResponse" {
		t.Fatalf("Enumerate: %d %s %s", p.status, p.action, p.fault)
	}
	if len(p.items) > 0 && p.itemsNS != nsWSMan {
		t.Errorf("Enumerate items in %s, want the wsman namespace", p.itemsNS)
	}
	if !p.hasContext {
		t.Error("EnumerateResponse without EnumerationContext")
	}
	items := p.items
	check := func(p page) {
		if len(p.items) > maxEl {
			t.Errorf("%d items, MaxElements %d", len(p.items), maxEl)
		}
		if maxEnv > 0 && p.size > maxEnv {
			t.Errorf("reply of %d bytes, MaxEnvelopeSize %d", p.size, maxEnv)
		}
	}
	check(p)
	for pulls := 0; !p.end; pulls++ {
		if pulls > 10000 {
			t.Fatal("no EndOfSequence")
		}
		body := fmt.Sprintf("<n:Pull><n:EnumerationContext>%s</n:EnumerationContext><n:MaxElements>%d</n:MaxElements></n:Pull>", p.context, maxEl)
		p = readPage(t, post(t, url, enumEnvelope("Pull", uri, maxEnv, body)))
		if p.status != 200 || p.action != nsEnumeration+"/PullResponse" {
			t.Fatalf("Pull: %d %s %s", p.status, p.action, p.fault)
		}
		if len(p.items) > 0 && p.itemsNS != nsEnumeration {
			t.Errorf("Pull items in %s, want the enumeration namespace", p.itemsNS)
		}
		if p.end && p.hasContext {
			t.Error("the PullResponse that ends names a context")
		}
		check(p)
		items = append(items, p.items...)
	}
	return items
}

func generatedIDs(s *Server, keep func(GeneratedJob) bool) []string {
	var out []string
	for _, j := range s.GeneratedJobs() {
		if keep(j) {
			out = append(out, j.InstanceID)
		}
	}
	sort.Strings(out)
	return out
}

func ids(items []*etree.Element) []string {
	var out []string
	for _, it := range items {
		out = append(out, itemID(it))
	}
	sort.Strings(out)
	return out
}

func TestEnumeratePaging(t *testing.T) {
	s, url := startSimWith(t, Options{Scenario: "default.json", Jobs: 40, Seed: 7, Logf: t.Logf})
	want := generatedIDs(s, func(j GeneratedJob) bool { return j.Namespace == "root/virtualization/v2" })
	if len(want) < 10 {
		t.Fatalf("only %d Hyper-V jobs", len(want))
	}
	for _, maxEl := range []int{1, 7, 1000} {
		t.Run(fmt.Sprint(maxEl), func(t *testing.T) {
			got := ids(enumerateAll(t, url, hvURI, "", maxEl, 0))
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("got %d items %v\nwant %d %v", len(got), got, len(want), want)
			}
			if n := s.OpenEnumerations(); n != 0 {
				t.Errorf("%d contexts open after EndOfSequence", n)
			}
		})
	}
}

// Subclass instances come under their own element name and class
// namespace among the base class's.
func TestEnumerateSubclass(t *testing.T) {
	_, url := startSimWith(t, Options{Scenario: "default.json", Jobs: 60, Seed: 1, Profiles: []string{"hyperv"}, Logf: t.Logf})
	classes := map[string]int{}
	for _, it := range enumerateAll(t, url, hvURI, "", 100, 0) {
		if it.NamespaceURI() != wmiPrefix+"root/virtualization/v2/"+it.Tag {
			t.Errorf("%s in namespace %s", it.Tag, it.NamespaceURI())
		}
		classes[it.Tag]++
	}
	if classes["Msvm_ConcreteJob"] == 0 || classes["Msvm_MigrationJob"] == 0 {
		t.Errorf("classes %v, want both Msvm_ConcreteJob and Msvm_MigrationJob", classes)
	}
	only := enumerateAll(t, url, wmiPrefix+"root/virtualization/v2/Msvm_MigrationJob", "", 100, 0)
	if len(only) != classes["Msvm_MigrationJob"] {
		t.Errorf("Msvm_MigrationJob URI lists %d, want %d", len(only), classes["Msvm_MigrationJob"])
	}
}

func TestEnumerateMaxEnvelopeSize(t *testing.T) {
	s, url := startSimWith(t, Options{Scenario: "default.json", Jobs: 30, Seed: 3, Profiles: []string{"hyperv"}, Logf: t.Logf})
	items := enumerateAll(t, url, hvURI, "", 1000, minEnvelopeSize)
	if len(items) != 30 {
		t.Errorf("%d items, want 30", len(items))
	}
	if n := s.OpenEnumerations(); n != 0 {
		t.Errorf("%d contexts open", n)
	}

	// An item that alone does not fit the envelope is the EncodingLimit fault.
	big, url2 := startSim(t, "default.json")
	in := *big.static[0]
	in.raw, in.props = nil, append([]prop{{name: "InstanceID", vals: []string{"BIG"}}}, prop{name: "ErrorDescription", vals: []string{strings.Repeat("x", minEnvelopeSize)}})
	big.static = append(big.static, &in)
	p := readPage(t, post(t, url2, enumEnvelope("Enumerate", hvURI, minEnvelopeSize, enumerateBody("", true, 100))))
	if p.status != 200 || len(p.items) == 0 || p.end {
		t.Fatalf("first page: %d %q, %d items", p.status, p.fault, len(p.items))
	}
	for !p.end && p.fault == "" {
		p = readPage(t, post(t, url2, enumEnvelope("Pull", hvURI, minEnvelopeSize,
			"<n:Pull><n:EnumerationContext>"+p.context+"</n:EnumerationContext><n:MaxElements>100</n:MaxElements></n:Pull>")))
	}
	if p.fault != "EncodingLimit" {
		t.Errorf("Pull reaching the big item: %d %q end %v, want the EncodingLimit fault", p.status, p.fault, p.end)
	}
}

func TestEnumerateWQL(t *testing.T) {
	s, url := startSimWith(t, Options{Scenario: "default.json", Jobs: 80, Seed: 11, Logf: t.Logf})
	jobs := s.GeneratedJobs()
	v2 := func(j GeneratedJob) bool { return j.Namespace == "root/virtualization/v2" }
	tests := []struct {
		filter string
		keep   func(GeneratedJob) bool
	}{
		{"SELECT * FROM Msvm_ConcreteJob", v2},
		{"select * from msvm_concretejob where JobState = 10 OR (JobState = 7 AND ErrorCode <> 0)",
			func(j GeneratedJob) bool { return v2(j) && j.Failed }},
		{"SELECT * FROM Msvm_ConcreteJob WHERE JobState = 10", func(j GeneratedJob) bool { return v2(j) && j.JobState == 10 }},
		{"SELECT * FROM Msvm_ConcreteJob WHERE NOT JobState <= 6", func(j GeneratedJob) bool { return v2(j) && j.JobState > 6 }},
		{"SELECT * FROM Msvm_MigrationJob", func(j GeneratedJob) bool { return j.Class == "Msvm_MigrationJob" }},
		{"SELECT * FROM Msvm_ConcreteJob WHERE __CLASS = 'Msvm_MigrationJob'", func(j GeneratedJob) bool { return j.Class == "Msvm_MigrationJob" }},
		{"SELECT * FROM Msvm_ConcreteJob WHERE StartTime IS NULL", func(j GeneratedJob) bool { return v2(j) && j.JobState == 2 }},
		{"SELECT * FROM Msvm_ConcreteJob WHERE InstanceID LIKE '%-00000000000[0-4]'", func(j GeneratedJob) bool {
			return v2(j) && j.InstanceID[len(j.InstanceID)-1] <= '4' && strings.HasSuffix(j.InstanceID[:len(j.InstanceID)-1], "-00000000000")
		}},
		{"SELECT * FROM Msvm_ConcreteJob WHERE JobState = 99", func(GeneratedJob) bool { return false }},
	}
	for _, tc := range tests {
		t.Run(tc.filter, func(t *testing.T) {
			var want []string
			for _, j := range jobs {
				if tc.keep(j) {
					want = append(want, j.InstanceID)
				}
			}
			sort.Strings(want)
			got := ids(enumerateAll(t, url, v2Star, tc.filter, 5, 0))
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("got %v\nwant %v", got, want)
			}
		})
	}
}

// --since: StartTime compared with a DMTF string selects the jobs that
// started after it.
func TestEnumerateWQLSince(t *testing.T) {
	s, url := startSimWith(t, Options{Scenario: "default.json", Jobs: 50, Seed: 5, Profiles: []string{"msps"}, Logf: t.Logf})
	since := time.Now().Add(-6 * time.Hour)
	var want []string
	for _, j := range s.GeneratedJobs() {
		in := s.gen.lookup(j.InstanceID).in
		st := in.prop("StartTime")
		if st.null {
			continue
		}
		ts, err := time.Parse(time.RFC3339Nano, st.vals[0])
		if err != nil {
			t.Fatal(err)
		}
		if !ts.Before(since) {
			want = append(want, j.InstanceID)
		}
	}
	sort.Strings(want)
	if len(want) == 0 || len(want) == 50 {
		t.Fatalf("%d of 50 jobs after --since: the test shows nothing", len(want))
	}
	q := fmt.Sprintf("SELECT * FROM Msps_ProvisioningJob WHERE StartTime >= '%s'", dmtfDatetime(since))
	got := ids(enumerateAll(t, url, wmiPrefix+"root/msps/*", q, 10, 0))
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

// The scenario's own jobs (from their Get fixtures) list too.
func TestEnumerateFixtureJobs(t *testing.T) {
	_, url := startSim(t, "default.json")
	got := ids(enumerateAll(t, url, v2Star, "SELECT * FROM Msvm_ConcreteJob WHERE ErrorDescription LIKE '%web-01%'", 3, 0))
	want := []string{"5F1E2D3C-4B5A-4000-8000-000000000001", "5F1E2D3C-4B5A-4000-8000-000000000005",
		"5F1E2D3C-4B5A-4000-8000-000000000007", "5F1E2D3C-4B5A-4000-8000-000000000008"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("got %v, want %v", got, want)
	}
	// Job 09 answers every call with a fault: it lists nothing.
	all := ids(enumerateAll(t, url, hvURI, "", 100, 0))
	if len(all) != 9 {
		t.Errorf("%d Hyper-V jobs listed, want 9 (10 less the faulting one)", len(all))
	}
}

func TestEnumerateSelectList(t *testing.T) {
	_, url := startSim(t, "default.json")
	items := enumerateAll(t, url, v2Star, "SELECT InstanceID, JobState, StartTime FROM Msvm_ConcreteJob WHERE JobState = 4", 10, 0)
	if len(items) != 1 {
		t.Fatalf("%d items, want 1", len(items))
	}
	it := items[0]
	if it.Tag != "XmlFragment" || it.NamespaceURI() != nsWSMan {
		t.Fatalf("item %s in %s, want w:XmlFragment", it.Tag, it.NamespaceURI())
	}
	var names []string
	for _, c := range it.ChildElements() {
		names = append(names, c.Tag)
	}
	if strings.Join(names, ",") != "InstanceID,JobState,StartTime" {
		t.Errorf("fragment holds %v", names)
	}
	if it.FindElement("StartTime/Datetime") == nil {
		t.Error("StartTime without its cim:Datetime")
	}
}

func TestEnumerationFaults(t *testing.T) {
	_, url := startSimWith(t, Options{Scenario: "default.json", MaxEnumerations: 2, Logf: t.Logf})
	tests := []struct {
		name, uri, body, fault string
	}{
		{"unfiltered star", v2Star, enumerateBody("", true, 5), "DestinationUnreachable"},
		{"malformed WQL", v2Star, enumerateBody("SELECT * FROM", true, 5), "CannotProcessFilter"},
		{"unknown property", v2Star, enumerateBody("SELECT * FROM Msvm_ConcreteJob WHERE Colour = 'red'", true, 5), "CannotProcessFilter"},
		{"unknown selected property", v2Star, enumerateBody("SELECT Colour FROM Msvm_ConcreteJob", true, 5), "CannotProcessFilter"},
		{"ISA", v2Star, enumerateBody("SELECT * FROM Msvm_ConcreteJob WHERE Name ISA 'X'", true, 5), "CannotProcessFilter"},
		{"class URI naming another class", hvURI, enumerateBody("SELECT * FROM Msvm_MigrationJob", true, 5), "CannotProcessFilter"},
		{"unknown class", v2Star, enumerateBody("SELECT * FROM Msvm_Nothing", true, 5), "CannotProcessFilter"},
		{"unknown namespace", wmiPrefix + "root/nothing/*", enumerateBody("SELECT * FROM X", true, 5), "CannotProcessFilter"},
		{"other dialect", v2Star, `<n:Enumerate><w:Filter Dialect="http://www.w3.org/TR/1999/REC-xpath-19991116">/x</w:Filter></n:Enumerate>`, "FilterDialectRequestedUnavailable"},
		{"WS-Enumeration filter", hvURI, `<n:Enumerate><n:Filter>x</n:Filter></n:Enumerate>`, "FilterDialectRequestedUnavailable"},
		{"Expires", hvURI, `<n:Enumerate><n:Expires>PT10S</n:Expires></n:Enumerate>`, "UnsupportedFeature"},
		{"Pull of an unknown context", hvURI, `<n:Pull><n:EnumerationContext>uuid:nope</n:EnumerationContext></n:Pull>`, "InvalidEnumerationContext"},
		{"Release of an unknown context", hvURI, `<n:Release><n:EnumerationContext>uuid:nope</n:EnumerationContext></n:Release>`, "InvalidEnumerationContext"},
		{"Pull without a Pull", hvURI, `<n:Enumerate/>`, "SchemaValidationError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			action := "Enumerate"
			switch {
			case strings.HasPrefix(tc.body, "<n:Pull"), strings.HasPrefix(tc.name, "Pull"):
				action = "Pull"
			case strings.HasPrefix(tc.body, "<n:Release"):
				action = "Release"
			}
			p := readPage(t, post(t, url, enumEnvelope(action, tc.uri, 0, tc.body)))
			if p.status != 500 || p.fault != tc.fault {
				t.Errorf("%d %q, want 500 %s", p.status, p.fault, tc.fault)
			}
		})
	}
	// Bounded open contexts: the third unfinished enumeration is refused.
	for i := 0; i < 3; i++ {
		p := readPage(t, post(t, url, enumEnvelope("Enumerate", hvURI, 0, enumerateBody("", false, 0))))
		want := ""
		if i == 2 {
			want = "QuotaLimit"
		}
		if p.fault != want {
			t.Errorf("Enumerate %d: fault %q, want %q", i+1, p.fault, want)
		}
	}
}

// A context is good for one enumeration: it expires when unused, and is
// gone after Release and after EndOfSequence.
func TestEnumerationContextLifetime(t *testing.T) {
	s, url := startSimWith(t, Options{Scenario: "default.json", EnumerationTimeout: time.Minute, Logf: t.Logf})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	open := func() string {
		p := readPage(t, post(t, url, enumEnvelope("Enumerate", hvURI, 0, enumerateBody("", false, 0))))
		if p.status != 200 || p.context == "" || len(p.items) != 0 || p.end {
			t.Fatalf("unoptimized Enumerate: %d context %q items %d end %v", p.status, p.context, len(p.items), p.end)
		}
		return p.context
	}
	pull := func(ctx string) page {
		return readPage(t, post(t, url, enumEnvelope("Pull", hvURI, 0,
			"<n:Pull><n:EnumerationContext>"+ctx+"</n:EnumerationContext><n:MaxElements>2</n:MaxElements></n:Pull>")))
	}
	release := func(ctx string) page {
		return readPage(t, post(t, url, enumEnvelope("Release", hvURI, 0,
			"<n:Release><n:EnumerationContext>"+ctx+"</n:EnumerationContext></n:Release>")))
	}

	// Used within the timeout, a context lives on, each Pull restarting the clock.
	c := open()
	now = now.Add(50 * time.Second)
	if p := pull(c); p.status != 200 || len(p.items) != 2 || p.context != c {
		t.Fatalf("Pull in time: %d %q items %d", p.status, p.fault, len(p.items))
	}
	now = now.Add(50 * time.Second)
	if p := pull(c); p.status != 200 {
		t.Fatalf("second Pull in time: %d %q", p.status, p.fault)
	}
	// Unused past the timeout, it is gone.
	now = now.Add(61 * time.Second)
	if p := pull(c); p.fault != "InvalidEnumerationContext" {
		t.Errorf("Pull after expiry: %d %q", p.status, p.fault)
	}
	if p := pull(c); p.fault != "InvalidEnumerationContext" {
		t.Errorf("second Pull after expiry: %q", p.fault)
	}

	// Release ends it.
	c = open()
	if p := release(c); p.status != 200 || p.action != nsEnumeration+"/ReleaseResponse" {
		t.Errorf("Release: %d %q %s", p.status, p.fault, p.action)
	}
	if p := pull(c); p.fault != "InvalidEnumerationContext" {
		t.Errorf("Pull after Release: %q", p.fault)
	}
	if p := release(c); p.fault != "InvalidEnumerationContext" {
		t.Errorf("second Release: %q", p.fault)
	}

	// EndOfSequence ends it.
	c = open()
	for i := 0; ; i++ {
		p := pull(c)
		if p.status != 200 {
			t.Fatalf("Pull %d: %q", i, p.fault)
		}
		if p.end {
			break
		}
	}
	if p := pull(c); p.fault != "InvalidEnumerationContext" {
		t.Errorf("Pull after EndOfSequence: %q", p.fault)
	}
	if n := s.OpenEnumerations(); n != 0 {
		t.Errorf("%d contexts open", n)
	}
}

// An empty result: an empty context and EndOfSequence at once.
func TestEnumerateEmpty(t *testing.T) {
	_, url := startSim(t, "default.json")
	p := readPage(t, post(t, url, enumEnvelope("Enumerate", v2Star, 0,
		enumerateBody("SELECT * FROM Msvm_ConcreteJob WHERE JobState = 99", true, 10))))
	if p.status != 200 || !p.hasContext || p.context != "" || !p.end || len(p.items) != 0 {
		t.Errorf("status %d context %v %q end %v items %d", p.status, p.hasContext, p.context, p.end, len(p.items))
	}
}
