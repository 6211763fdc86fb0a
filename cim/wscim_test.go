package cim

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

func TestParseWSCIMGolden(t *testing.T) {
	for _, file := range testdataFiles(t, "wscim_*.xml") {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			inst, err := ParseWSCIMBytes(data, Limits{})
			if err != nil {
				t.Fatalf("ParseWSCIMBytes: %v", err)
			}
			checkGolden(t, goldenName(file), inst)
		})
	}
}

func mustParseWSCIM(t *testing.T, file string) *Instance {
	t.Helper()
	data, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := ParseWSCIMBytes(data, DefaultLimits)
	if err != nil {
		t.Fatalf("ParseWSCIMBytes(%s): %v", file, err)
	}
	return inst
}

func TestParseWSCIMValues(t *testing.T) {
	t.Run("prefixed CIM_Error", func(t *testing.T) {
		inst := mustParseWSCIM(t, "wscim_cim_error_prefixed.xml")
		if inst.ClassName != "CIM_Error" || inst.Namespace != "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_Error" {
			t.Errorf("class %q namespace %q", inst.ClassName, inst.Namespace)
		}
		if p := inst.Property("PerceivedSeverity"); p.Type != TypeUint16 || p.Values[0].Text != "6" {
			t.Errorf("PerceivedSeverity = %+v", p)
		}
		if p := inst.Property("CIMStatusCode"); p.Type != TypeUint32 {
			t.Errorf("CIMStatusCode type = %q", p.Type)
		}
		args := inst.Property("MessageArguments")
		got, _ := args.Texts()
		if !args.Array || fmt.Sprintf("%q", got) != `["HGS-01" "<0x80070005>" ""]` {
			t.Errorf("MessageArguments = %+v", args)
		}
		if p := inst.Property("RecommendedActions"); !p.Null || p.Array {
			t.Errorf("nil array sent once = %+v, want NULL", p)
		}
		if p := inst.Property("OtherErrorSourceFormat"); p.Null || p.Values[0].Text != "" {
			t.Errorf("empty element = %+v, want empty string", p)
		}
		if got := text(t, inst, "Message"); !strings.HasPrefix(got, "Die Schlüsselschutzvorrichtung") || !strings.Contains(got, "<0x80070005> & Über") {
			t.Errorf("Message = %q", got)
		}
	})
	t.Run("default namespace and datetimes", func(t *testing.T) {
		inst := mustParseWSCIM(t, "wscim_default_ns.xml")
		if inst.ClassName != "Msps_ProvisioningJob" {
			t.Errorf("class = %q", inst.ClassName)
		}
		el := inst.Property("ElapsedTime")
		if el.Type != TypeDatetime || el.Values[0].Datetime == nil || el.Values[0].Datetime.Duration.Seconds() != 100 {
			t.Errorf("ElapsedTime = %+v", el)
		}
		if dt := inst.Property("StartTime").Values[0].Datetime; dt == nil || dt.Interval || dt.Time.UTC().Hour() != 6 {
			t.Errorf("StartTime = %+v", dt)
		}
		if dt := inst.Property("TimeSubmitted").Values[0].Datetime; dt == nil || dt.Time.Minute() != 46 {
			t.Errorf("TimeSubmitted (cim:CIM_DateTime) = %+v", dt)
		}
		if v := inst.Property("UntilTime").Values[0]; v.Datetime != nil || v.Text != "gestern" {
			t.Errorf("unparseable datetime = %+v, want text kept", v)
		}
		if n, err := inst.Property("JobState").Uint(); err != nil || n != 3 || inst.Property("JobState").Type != TypeUint16 {
			t.Errorf("JobState = %d, %v", n, err)
		}
		if ns, err := inst.Property("OperationalStatus").Uints(); err != nil || fmt.Sprint(ns) != "[6 2]" {
			t.Errorf("OperationalStatus = %v, %v", ns, err)
		}
		if p := inst.Property("PercentComplete"); p.Type != TypeUint16 {
			t.Errorf("xs:unsignedShort typed as %q", p.Type)
		}
		if b, err := inst.Property("DeleteOnCompletion").Bool(); err != nil || b {
			t.Errorf("DeleteOnCompletion = %v, %v", b, err)
		}
		last := inst.Property("LastError")
		if last.Type != TypeInstance || last.Values[0].Instance == nil {
			t.Fatalf("LastError = %+v", last)
		}
		if li := last.Values[0].Instance; li.ClassName != "CIM_Error" || text(t, li, "Message") != "入れ子のエラー" {
			t.Errorf("embedded = %+v", li)
		}
		host := inst.Property("Host")
		want := `root/virtualization/v2:Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="HV01"`
		if host.Type != TypeReference || host.Values[0].Text != want {
			t.Errorf("Host = %s %q", host.Type, host.Values[0].Text)
		}
		if p := inst.Property("Owner"); p.Type != TypeString || p.Null {
			t.Errorf("Owner = %+v", p)
		}
	})
	t.Run("class from property namespace", func(t *testing.T) {
		inst := mustParseWSCIM(t, "wscim_no_xsitype.xml")
		if inst.ClassName != "CIM_Error" || text(t, inst, "MessageID") != "1" {
			t.Errorf("instance = %+v", inst)
		}
	})
}

// TestParseWSCIMArrayShape pins what Property.Array documents: WS-CIM
// carries no array marker, so only repetition makes an array.
func TestParseWSCIMArrayShape(t *testing.T) {
	inst, err := ParseWSCIMBytes([]byte(`<X xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:c="http://schemas.dmtf.org/wbem/wscim/1/common">`+
		`<One xsi:type="c:cimString">a</One><Two>a</Two><Two>b</Two><None xsi:nil="true"/></X>`), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		array, null bool
		texts       []string
	}{
		{"One", false, false, []string{"a"}},
		{"Two", true, false, []string{"a", "b"}},
		{"None", false, true, nil},
	}
	for _, tc := range tests {
		p := inst.Property(tc.name)
		got, _ := p.Texts()
		if p.Array != tc.array || p.Null != tc.null || fmt.Sprint(got) != fmt.Sprint(tc.texts) {
			t.Errorf("%s = %+v, Texts %q", tc.name, p, got)
		}
	}
}

// TestParseWSCIMNamespaces checks that properties are matched by namespace
// URI as well as local name: an element of the same local name in another
// namespace must neither join a property into an array nor shadow it.
func TestParseWSCIMNamespaces(t *testing.T) {
	const decl = `xmlns:p="urn:x/CIM_Error" xmlns:q="urn:evil" xmlns:c="http://schemas.dmtf.org/wbem/wscim/1/common" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"`
	tests := []struct {
		name, xml string
		want      string // Message, or "" for none
		props     int
	}{
		{name: "foreign after", xml: `<p:X ` + decl + `><p:Message>a</p:Message><q:Message>evil</q:Message></p:X>`, want: "a", props: 1},
		{name: "foreign first, xsi:type names the class", xml: `<r:Error xmlns:r="urn:job" ` + decl + ` xsi:type="p:CIM_Error_Type"><q:Message>evil</q:Message><p:Message>a</p:Message><q:Other>1</q:Other></r:Error>`, want: "a", props: 1},
		{name: "unprefixed foreign", xml: `<p:X ` + decl + `><p:Message>a</p:Message><Message>evil</Message></p:X>`, want: "a", props: 1},
		{name: "xsi:type in XML Schema falls back to first child", xml: `<p:X ` + decl + ` xsi:type="c:cimString"><p:Message>a</p:Message><q:Message>evil</q:Message></p:X>`, want: "a", props: 1},
		{name: "nested instance", xml: `<p:X ` + decl + `><p:E><q:Message>evil</q:Message><p:Message>x</p:Message></p:E><p:Message>a</p:Message></p:X>`, want: "a", props: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inst, err := ParseWSCIMBytes([]byte(tc.xml), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if len(inst.Properties) != tc.props {
				t.Errorf("%d properties, want %d: %+v", len(inst.Properties), tc.props, inst.Properties)
			}
			m := inst.Property("Message")
			if m == nil || m.Array || len(m.Values) != 1 || m.Values[0].Text != tc.want {
				t.Errorf("Message = %+v, want scalar %q", m, tc.want)
			}
			if inst.Namespace != "urn:x/CIM_Error" || inst.ClassName != "CIM_Error" {
				t.Errorf("class %q namespace %q", inst.ClassName, inst.Namespace)
			}
		})
	}
	// The nested instance took its namespace from its first child (q) and
	// kept only q:Message.
	inst, err := ParseWSCIMBytes([]byte(tests[len(tests)-1].xml), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if e := inst.Property("E").Values[0].Instance; len(e.Properties) != 1 || e.Properties[0].Values[0].Text != "evil" {
		t.Errorf("nested = %+v", e)
	}
}

// TestParseWSCIMDatetimeNamespace checks that only the WS-CIM common
// namespace makes a wrapper element a datetime.
func TestParseWSCIMDatetimeNamespace(t *testing.T) {
	tests := []struct {
		name, xml string
		datetime  bool
	}{
		{name: "common namespace", xml: `<X xmlns:c="http://schemas.dmtf.org/wbem/wscim/1/common"><T><c:Datetime>2014-04-03T14:45:50Z</c:Datetime></T></X>`, datetime: true},
		{name: "no namespace", xml: `<X><T><Datetime>2014-04-03T14:45:50Z</Datetime></T></X>`},
		{name: "class namespace", xml: `<X xmlns="urn:x/C"><T><Datetime>2014-04-03T14:45:50Z</Datetime></T></X>`},
		{name: "other namespace", xml: `<X xmlns:c="urn:not-common"><T><c:Interval>P1D</c:Interval></T></X>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inst, err := ParseWSCIMBytes([]byte(tc.xml), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			p := inst.Property("T")
			got := p.Type == TypeDatetime && p.Values[0].Datetime != nil
			if got != tc.datetime || (!tc.datetime && p.Type != TypeInstance) {
				t.Errorf("T = %+v, datetime %v, want %v", p, got, tc.datetime)
			}
		})
	}
}

func TestParseWSCIMClassName(t *testing.T) {
	tests := []struct{ xml, want string }{
		{`<p:X xmlns:p="urn:a/Msvm_Error" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="p:MSFT_WmiError_Type"><p:A>1</p:A></p:X>`, "MSFT_WmiError"},
		{`<p:X xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service"/>`, "Win32_Service"},
		{`<X xmlns="urn:no-class-here/"/>`, "X"},
		{`<Plain><A>1</A></Plain>`, "Plain"},
		{`<X xmlns="http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/*"/>`, "X"},
	}
	for _, tc := range tests {
		inst, err := ParseWSCIMBytes([]byte(tc.xml), Limits{})
		if err != nil {
			t.Errorf("%s: %v", tc.xml, err)
			continue
		}
		if inst.ClassName != tc.want {
			t.Errorf("%s: class %q, want %q", tc.xml, inst.ClassName, tc.want)
		}
	}
}

// TestParseWSCIMInEnvelope decodes an element inside a larger document, as
// the wsman package hands it over: namespaces bound on ancestors count,
// prefixes do not.
func TestParseWSCIMInEnvelope(t *testing.T) {
	const env = `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:XSI="http://www.w3.org/2001/XMLSchema-instance" xmlns:fake="urn:not-xsi">
<env:Body><r:GetError_OUTPUT xmlns:r="http://schemas.microsoft.com/wbem/wsman/1/wmi/root/msps/Msps_ProvisioningJob">
<r:Error xmlns:e="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_Error" XSI:type="e:CIM_Error_Type">
<e:Message>m</e:Message><e:OwningEntity fake:nil="true">not null: wrong namespace</e:OwningEntity><e:MessageID XSI:nil="1"/>
</r:Error><r:ReturnValue>0</r:ReturnValue></r:GetError_OUTPUT></env:Body></env:Envelope>`
	doc := etree.NewDocument()
	if err := doc.ReadFromString(env); err != nil {
		t.Fatal(err)
	}
	var errEl *etree.Element
	for _, e := range doc.Root().ChildElements()[0].ChildElements()[0].ChildElements() {
		if e.Tag == "Error" {
			errEl = e
		}
	}
	inst, err := ParseWSCIM(errEl, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if inst.ClassName != "CIM_Error" {
		t.Errorf("class = %q", inst.ClassName)
	}
	if p := inst.Property("OwningEntity"); p.Null {
		t.Error("nil attribute in a foreign namespace taken as xsi:nil")
	}
	if p := inst.Property("MessageID"); !p.Null {
		t.Error(`XSI:nil="1" under another prefix not taken as NULL`)
	}
}

func TestParseWSCIMRejects(t *testing.T) {
	small := Limits{MaxBytes: 1 << 20, MaxDepth: 8, MaxProperties: 5}
	manyProps := "<X>"
	for i := 0; i < 6; i++ {
		manyProps += fmt.Sprintf("<P%d>v</P%d>", i, i)
	}
	manyProps += "</X>"
	tests := []struct {
		name  string
		in    string
		lim   Limits
		cause error
	}{
		{name: "entity bomb", in: `<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><X><M>&b;</M></X>`, cause: ErrDTD},
		{name: "truncated", in: `<X xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><M>abc</M><N xsi:nil="tr`},
		{name: "empty", in: ``},
		{name: "too large", in: `<X><M>` + strings.Repeat("a", 200) + `</M></X>`, lim: Limits{MaxBytes: 100}, cause: ErrTooLarge},
		{name: "deep", in: strings.Repeat("<a>", 9) + strings.Repeat("</a>", 9), lim: small, cause: ErrTooDeep},
		{name: "too many properties", in: manyProps, lim: small, cause: ErrTooMany},
		{name: "too many array elements", in: "<X>" + strings.Repeat("<A>1</A>", 6) + "</X>", lim: small, cause: ErrTooMany},
		{name: "nil instance", in: `<X xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/>`, cause: ErrNull},
		{name: "too many elements", in: "<X><A>" + strings.Repeat("<b/>", 20) + "</A></X>", lim: Limits{MaxElements: 20}, cause: ErrTooMany},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inst, err := ParseWSCIMBytes([]byte(tc.in), tc.lim)
			var de *DecodeError
			if !errors.As(err, &de) || de.Format != FormatWSCIM {
				t.Fatalf("got %+v, %v; want a WS-CIM *DecodeError", inst, err)
			}
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Errorf("error %v does not wrap %v", err, tc.cause)
			}
		})
	}
	if _, err := ParseWSCIM(nil, Limits{}); err == nil {
		t.Error("ParseWSCIM(nil) succeeded")
	}
	// Depth is counted from the element handed over, also for a tree
	// built elsewhere.
	doc := etree.NewDocument()
	if err := doc.ReadFromString(strings.Repeat("<a>", 20) + strings.Repeat("</a>", 20)); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseWSCIM(doc.Root(), small); !errors.Is(err, ErrTooDeep) {
		t.Errorf("deep tree: %v, want ErrTooDeep", err)
	}
	// So are elements: 1 + 1 + 20 is over 21, and exactly 22 fits.
	doc = etree.NewDocument()
	if err := doc.ReadFromString("<X><A>" + strings.Repeat("<b/>", 20) + "</A></X>"); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseWSCIM(doc.Root(), Limits{MaxElements: 21}); !errors.Is(err, ErrTooMany) {
		t.Errorf("many elements: %v, want ErrTooMany", err)
	}
	if _, err := ParseWSCIM(doc.Root(), Limits{MaxElements: 22}); err != nil {
		t.Errorf("exactly MaxElements: %v", err)
	}
}

func FuzzParseWSCIM(f *testing.F) {
	for _, file := range []string{
		"wscim_cim_error_prefixed.xml", "wscim_default_ns.xml", "wscim_msft_wmierror.xml", "wscim_no_xsitype.xml",
	} {
		data, err := os.ReadFile("testdata/" + file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`<X xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><A xsi:nil="true"/><A>1</A></X>`))
	f.Add([]byte(`<r:E xmlns:r="urn:job" xmlns:p="urn:x/C" xmlns:q="urn:q" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="p:C_Type"><q:M>evil</q:M><p:M>a</p:M></r:E>`))
	lim := Limits{MaxBytes: 64 << 10, MaxDepth: 32, MaxProperties: 64, MaxElements: 128}
	f.Fuzz(func(t *testing.T, data []byte) {
		inst, err := ParseWSCIMBytes(data, lim)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *DecodeError", err)
			}
			return
		}
		if inst == nil || len(inst.Properties) > lim.MaxProperties {
			t.Fatalf("bad success: %+v", inst)
		}
		for _, p := range inst.Properties {
			if !p.Null && len(p.Values) == 0 {
				t.Fatalf("property %s neither NULL nor valued", p.Name)
			}
		}
	})
}
