package cim

import (
	"errors"
	"fmt"
	"html"
	"os"
	"strings"
	"testing"
)

func TestParseCIMXMLGolden(t *testing.T) {
	for _, file := range testdataFiles(t, "cimxml_*.xml") {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			inst, err := ParseCIMXML(data, Limits{})
			if err != nil {
				t.Fatalf("ParseCIMXML: %v", err)
			}
			checkGolden(t, goldenName(file), inst)
		})
	}
}

func mustParseCIMXML(t *testing.T, file string) *Instance {
	t.Helper()
	data, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := ParseCIMXML(data, DefaultLimits)
	if err != nil {
		t.Fatalf("ParseCIMXML(%s): %v", file, err)
	}
	return inst
}

func text(t *testing.T, inst *Instance, name string) string {
	t.Helper()
	s, err := inst.Property(name).Text()
	if err != nil {
		t.Fatalf("property %s: %v", name, err)
	}
	return s
}

func TestParseCIMXMLValues(t *testing.T) {
	t.Run("escaped", func(t *testing.T) {
		inst := mustParseCIMXML(t, "cimxml_msvm_error_escaped.xml")
		if inst.ClassName != "Msvm_Error" || len(inst.Properties) != 15 {
			t.Fatalf("class %q with %d properties", inst.ClassName, len(inst.Properties))
		}
		want := "'VM01' failed to start. (Virtual machine ID 1B2C3D4E-0000-4000-8000-00000000A1B2)\r\n'VM01' could not initialize memory: Ran out of memory (0x8007000E). <see event log> & retry"
		if got := text(t, inst, "message"); got != want {
			t.Errorf("Message = %q", got)
		}
		p := inst.Property("ErrorType")
		if p.Type != TypeUint16 || p.ClassOrigin != "CIM_Error" || p.Propagated {
			t.Errorf("ErrorType header = %+v", p)
		}
		if p := inst.Property("OtherErrorType"); !p.Null || p.Values != nil {
			t.Errorf("OtherErrorType without VALUE = %+v, want NULL", p)
		}
		if p := inst.Property("ProbableCauseDescription"); !p.Null {
			t.Errorf("VALUE.NULL property = %+v, want NULL", p)
		}
		args, _ := inst.Property("MessageArguments").Texts()
		if len(args) != 4 || args[2] != "%%2147942414" {
			t.Errorf("MessageArguments = %q", args)
		}
	})
	t.Run("cdata", func(t *testing.T) {
		inst := mustParseCIMXML(t, "cimxml_cdata_german.xml")
		if got := text(t, inst, "Message"); got != "Fehler beim Starten von „Prüf-VM“: Der Arbeitsspeicher reicht nicht aus <0x8007000E> & mehr." {
			t.Errorf("Message = %q", got)
		}
		if !inst.Property("Message").Propagated {
			t.Error("PROPAGATED=\"true\" not kept")
		}
		args, _ := inst.Property("MessageArguments").Texts()
		if len(args) != 2 || args[1] != "Teil 1 & Teil <2> Ende" {
			t.Errorf("mixed text and CDATA = %q", args)
		}
	})
	t.Run("wrapped with references", func(t *testing.T) {
		inst := mustParseCIMXML(t, "cimxml_japanese_wrapped.xml")
		if inst.Namespace != "//hv02.example.jp/root/virtualization/v2" {
			t.Errorf("Namespace = %q", inst.Namespace)
		}
		if got := text(t, inst, "Message"); got != "仮想マシン 'テスト' を起動できませんでした。" {
			t.Errorf("Message = %q", got)
		}
		ref := inst.Property("AffectedElement")
		want := `//hv02/root/virtualization/v2:Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="a \"quoted\" \\ name",Index=3`
		if ref.Type != TypeReference || ref.Values[0].Text != want {
			t.Errorf("reference = %s %q\nwant %q", ref.Type, ref.Values[0].Text, want)
		}
		if got := text(t, inst, "Owner"); got != "Msvm_VirtualSystemManagementService=@" {
			t.Errorf("keyless reference = %q", got)
		}
		if !inst.Property("Missing").Null {
			t.Error("PROPERTY.REFERENCE without a value is not NULL")
		}
	})
	t.Run("nulls and arrays", func(t *testing.T) {
		inst := mustParseCIMXML(t, "cimxml_nulls_arrays.xml")
		if p := inst.Property("Message"); p.Null || len(p.Values) != 1 || p.Values[0].Text != "" {
			t.Errorf("empty VALUE = %+v, want empty non-NULL string", p)
		}
		if p := inst.Property("MessageArguments"); !p.Null || !p.Array {
			t.Errorf("array without VALUE.ARRAY = %+v, want NULL array", p)
		}
		if p := inst.Property("RecommendedActions"); p.Null || p.Values == nil || len(p.Values) != 0 {
			t.Errorf("empty VALUE.ARRAY = %+v, want empty non-NULL array", p)
		}
		mixed := inst.Property("Mixed").Values
		if len(mixed) != 4 || !mixed[1].Null || mixed[2].Null || mixed[3].Text != "  spaced  " {
			t.Errorf("Mixed = %+v", mixed)
		}
		codes, err := inst.Property("Codes").Uints()
		if err != nil || fmt.Sprint(codes) != "[1 4294967295 0]" {
			t.Errorf("Codes = %v, %v", codes, err)
		}
		if dt := inst.Property("TimeOfError").Values[0].Datetime; dt == nil || dt.Time.UTC().Hour() != 10 {
			t.Errorf("TimeOfError datetime = %+v", dt)
		}
		if dt := inst.Property("Waited").Values[0].Datetime; dt == nil || !dt.Interval || dt.Duration.Minutes() != 5 {
			t.Errorf("Waited datetime = %+v", dt)
		}
		if v := inst.Property("BadTime").Values[0]; v.Datetime != nil || v.Text != "not a time" {
			t.Errorf("unparseable datetime = %+v, want text kept", v)
		}
		if _, err := inst.Property("PerceivedSeverity").Uint(); !errors.Is(err, ErrNull) {
			t.Errorf("Uint of NULL = %v, want ErrNull", err)
		}
	})
	t.Run("embedded", func(t *testing.T) {
		inst := mustParseCIMXML(t, "cimxml_embedded.xml")
		cause := inst.Property("Cause")
		if cause.Type != TypeInstance || cause.Values[0].Instance == nil {
			t.Fatalf("Cause = %+v", cause)
		}
		inner := cause.Values[0].Instance
		if inner.ClassName != "CIM_Error" || text(t, inner, "Message") != "inner & deeper" {
			t.Errorf("inner = %+v", inner)
		}
		leaf := inner.Property("Detail").Values[0].Instance
		if leaf == nil || leaf.ClassName != "Leaf" || text(t, leaf, "X") != "7" {
			t.Errorf("leaf = %+v", leaf)
		}
		if q := inst.Property("ByQualifier").Values[0].Instance; q == nil || text(t, q, "MessageID") != "7" {
			t.Errorf("EmbeddedInstance qualifier not honoured: %+v", q)
		}
		causes := inst.Property("Causes").Values
		if len(causes) != 3 || causes[0].Instance.ClassName != "A" || !causes[1].Null || causes[2].Instance != nil {
			t.Errorf("Causes = %+v", causes)
		}
		if m := inst.Property("Markup").Values[0].Instance; m == nil || m.ClassName != "B" {
			t.Errorf("markup embedding = %+v", m)
		}
	})
}

// nestEmbedded builds an instance whose property embeds, as escaped text,
// an instance that embeds another, levels deep.
func nestEmbedded(levels int) string {
	inner := `<INSTANCE CLASSNAME="L"/>`
	for i := 0; i < levels; i++ {
		inner = `<INSTANCE CLASSNAME="L"><PROPERTY NAME="E" TYPE="string" EmbeddedObject="instance"><VALUE>` +
			html.EscapeString(inner) + `</VALUE></PROPERTY></INSTANCE>`
	}
	return inner
}

// flatRun is an INSTANCE of about n bytes, nearly all of them empty
// elements side by side.
func flatRun(n int64) string {
	const open, end = `<INSTANCE CLASSNAME="X">`, `</INSTANCE>`
	return open + strings.Repeat("<b/>", int(n-int64(len(open)+len(end)))/4) + end
}

func TestParseCIMXMLRejects(t *testing.T) {
	valid, err := os.ReadFile("testdata/cimxml_msvm_error_escaped.xml")
	if err != nil {
		t.Fatal(err)
	}
	props := func(n int) string {
		var b strings.Builder
		b.WriteString(`<INSTANCE CLASSNAME="X">`)
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, `<PROPERTY NAME="P%d" TYPE="string"><VALUE>v</VALUE></PROPERTY>`, i)
		}
		b.WriteString(`</INSTANCE>`)
		return b.String()
	}
	values := func(n int) string {
		return `<INSTANCE CLASSNAME="X"><PROPERTY.ARRAY NAME="A" TYPE="string"><VALUE.ARRAY>` +
			strings.Repeat(`<VALUE>v</VALUE>`, n) + `</VALUE.ARRAY></PROPERTY.ARRAY></INSTANCE>`
	}
	small := Limits{MaxBytes: 1 << 20, MaxDepth: 16, MaxProperties: 10}
	tests := []struct {
		name  string
		in    string
		lim   Limits
		cause error // nil: any *DecodeError
	}{
		{name: "entity bomb", in: `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><INSTANCE CLASSNAME="X"><PROPERTY NAME="M" TYPE="string"><VALUE>&lol3;</VALUE></PROPERTY></INSTANCE>`, cause: ErrDTD},
		{name: "external entity", in: `<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><INSTANCE CLASSNAME="X"><PROPERTY NAME="M" TYPE="string"><VALUE>&xxe;</VALUE></PROPERTY></INSTANCE>`, cause: ErrDTD},
		{name: "doctype inside root", in: `<INSTANCE CLASSNAME="X"><!DOCTYPE y></INSTANCE>`, cause: ErrDTD},
		{name: "undefined entity", in: `<INSTANCE CLASSNAME="X"><PROPERTY NAME="M" TYPE="string"><VALUE>&bomb;</VALUE></PROPERTY></INSTANCE>`},
		{name: "truncated", in: string(valid[:len(valid)/2])},
		{name: "truncated in tag", in: `<INSTANCE CLASSNAME="X"><PROPERTY NAME="M`},
		{name: "empty", in: ""},
		{name: "whitespace", in: " \n\t"},
		{name: "not XML", in: "The operation failed."},
		{name: "mismatched tags", in: `<INSTANCE CLASSNAME="X"></PROPERTY>`},
		{name: "two roots", in: `<INSTANCE CLASSNAME="X"/><INSTANCE CLASSNAME="Y"/>`},
		{name: "text after root", in: `<INSTANCE CLASSNAME="X"/>junk`},
		{name: "class not instance", in: `<CLASS NAME="X"/>`},
		{name: "wrapped class", in: `<VALUE.OBJECT><CLASS NAME="X"/></VALUE.OBJECT>`},
		{name: "wrapper without instance", in: `<VALUE.NAMEDINSTANCE><INSTANCENAME CLASSNAME="X"/></VALUE.NAMEDINSTANCE>`},
		{name: "namespaced root", in: `<x:INSTANCE xmlns:x="urn:x" CLASSNAME="X"/>`},
		{name: "no CLASSNAME", in: `<INSTANCE><PROPERTY NAME="M" TYPE="string"/></INSTANCE>`},
		{name: "property without NAME", in: `<INSTANCE CLASSNAME="X"><PROPERTY TYPE="string"/></INSTANCE>`},
		{name: "reference without path", in: `<INSTANCE CLASSNAME="X"><PROPERTY.REFERENCE NAME="R"><VALUE.REFERENCE/></PROPERTY.REFERENCE></INSTANCE>`},
		{name: "bad embedded", in: `<INSTANCE CLASSNAME="X"><PROPERTY NAME="E" TYPE="string" EmbeddedObject="object"><VALUE>&lt;INSTANCE</VALUE></PROPERTY></INSTANCE>`},
		{name: "embedded DTD", in: `<INSTANCE CLASSNAME="X"><PROPERTY NAME="E" TYPE="string" EmbeddedObject="object"><VALUE>&lt;!DOCTYPE x&gt;&lt;INSTANCE CLASSNAME="Y"/&gt;</VALUE></PROPERTY></INSTANCE>`, cause: ErrDTD},
		{name: "latin-1 bytes", in: "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><INSTANCE CLASSNAME=\"X\"><PROPERTY NAME=\"M\" TYPE=\"string\"><VALUE>Pr\xfcf</VALUE></PROPERTY></INSTANCE>"},
		{name: "invalid UTF-8", in: "<INSTANCE CLASSNAME=\"X\"><PROPERTY NAME=\"M\" TYPE=\"string\"><VALUE>\xff\xfe</VALUE></PROPERTY></INSTANCE>"},
		{name: "too large", in: string(valid), lim: Limits{MaxBytes: 100}, cause: ErrTooLarge},
		{name: "deep nesting", in: `<INSTANCE CLASSNAME="X">` + strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100) + `</INSTANCE>`, cause: ErrTooDeep},
		{name: "very deep nesting", in: strings.Repeat("<a>", 100000), cause: ErrTooDeep},
		{name: "deep embedding", in: nestEmbedded(40), cause: ErrTooDeep},
		{name: "deep embedding small limit", in: nestEmbedded(6), lim: small, cause: ErrTooDeep},
		{name: "too many properties", in: props(11), lim: small, cause: ErrTooMany},
		{name: "too many array elements", in: values(11), lim: small, cause: ErrTooMany},
		// 4 MiB of empty elements: within MaxBytes and MaxDepth, but a tree
		// of them would take some 200 MB.
		{name: "flat run of elements", in: flatRun(DefaultLimits.MaxBytes), cause: ErrTooMany},
		{name: "too many elements", in: flatRun(200), lim: Limits{MaxElements: 10}, cause: ErrTooMany},
		// 3 + 3 + 1 elements in three documents: the embedded ones spend
		// what the outer one left.
		{name: "elements across embedding", in: nestEmbedded(2), lim: Limits{MaxElements: 6}, cause: ErrTooMany},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inst, err := ParseCIMXML([]byte(tc.in), tc.lim)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("got %+v, %v; want a *DecodeError", inst, err)
			}
			if de.Format != FormatCIMXML {
				t.Errorf("Format = %q", de.Format)
			}
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Errorf("error %v does not wrap %v", err, tc.cause)
			}
			if inst != nil {
				t.Errorf("instance %+v returned with an error", inst)
			}
		})
	}
}

// TestParseCIMXMLErrorText checks that errors say what was found and which
// limit was configured, once.
func TestParseCIMXMLErrorText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		lim  Limits
		want string
	}{
		{"namespaced root", `<x:INSTANCE xmlns:x="urn:x" CLASSNAME="X"/>`, Limits{},
			`cim: decoding CIM-XML: root element <x:INSTANCE> is in namespace "urn:x"; DSP0201 elements are in none`},
		{"wrong root", `<CLASS NAME="X"/>`, Limits{}, `cim: decoding CIM-XML: root element is <CLASS>, want INSTANCE`},
		{"deep embedding", nestEmbedded(40), Limits{},
			"cim: decoding CIM-XML: embedded object in property " + strings.Repeat("E/", 20) + "E: nesting deeper than 64: input exceeds depth limit"},
		{"deep embedding small limit", nestEmbedded(6), Limits{MaxDepth: 16},
			"cim: decoding CIM-XML: embedded object in property E/E/E/E/E: nesting deeper than 16: input exceeds depth limit"},
		{"bad embedded", `<INSTANCE CLASSNAME="X"><PROPERTY NAME="E" TYPE="string" EmbeddedObject="object"><VALUE>&lt;CLASS/&gt;</VALUE></PROPERTY></INSTANCE>`, Limits{},
			"cim: decoding CIM-XML: embedded object in property E: root element is <CLASS>, want INSTANCE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCIMXML([]byte(tc.in), tc.lim)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error\n %v\nwant\n %s", err, tc.want)
			}
		})
	}
}

func TestParseCIMXMLLimitsBoundary(t *testing.T) {
	small := Limits{MaxBytes: 1 << 20, MaxDepth: 16, MaxProperties: 10}
	var b strings.Builder
	b.WriteString(`<INSTANCE CLASSNAME="X">`)
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&b, `<PROPERTY NAME="P%d" TYPE="string"><VALUE>v</VALUE></PROPERTY>`, i)
	}
	b.WriteString(`</INSTANCE>`)
	if inst, err := ParseCIMXML([]byte(b.String()), small); err != nil || len(inst.Properties) != 10 {
		t.Errorf("exactly MaxProperties: %v", err)
	}
	if inst, err := ParseCIMXML([]byte(nestEmbedded(5)), small); err != nil || inst.ClassName != "L" {
		t.Errorf("embedding within depth: %v", err)
	}
	if _, err := ParseCIMXML([]byte(nestEmbedded(2)), Limits{MaxElements: 7}); err != nil {
		t.Errorf("embedding within MaxElements: %v", err)
	}
	if _, err := ParseCIMXML([]byte(flatRun(200)), Limits{MaxElements: 46}); err != nil {
		t.Errorf("exactly MaxElements: %v", err)
	}
}

func FuzzParseCIMXML(f *testing.F) {
	for _, file := range []string{
		"cimxml_msvm_error_escaped.xml", "cimxml_cdata_german.xml", "cimxml_japanese_wrapped.xml",
		"cimxml_nulls_arrays.xml", "cimxml_vendor_outside_maps.xml", "cimxml_embedded.xml",
	} {
		data, err := os.ReadFile("testdata/" + file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "b">]><INSTANCE CLASSNAME="X"/>`))
	f.Add([]byte(nestEmbedded(4)))
	f.Add([]byte(flatRun(600)))
	lim := Limits{MaxBytes: 64 << 10, MaxDepth: 32, MaxProperties: 64, MaxElements: 128}
	f.Fuzz(func(t *testing.T, data []byte) {
		inst, err := ParseCIMXML(data, lim)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *DecodeError", err)
			}
			return
		}
		if inst == nil || inst.ClassName == "" {
			t.Fatalf("success without a class: %+v", inst)
		}
		if len(inst.Properties) > lim.MaxProperties {
			t.Fatalf("%d properties beyond the limit", len(inst.Properties))
		}
	})
}
