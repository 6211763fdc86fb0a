package wsman

import (
	"errors"
	"flag"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/cimjob/cimjob/internal/golden"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

const (
	jobURI  = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/Msvm_ConcreteJob"
	mspsURI = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/msps/Msps_ProvisioningJob"
)

func testHeaders() Headers {
	return Headers{
		To:               "http://hv01.example.com:5985/wsman",
		MessageID:        "uuid:11111111-2222-3333-4444-555555555555",
		MaxEnvelopeSize:  153600,
		OperationTimeout: 20 * time.Second,
		Locale:           "en-US",
		DataLocale:       "de-DE",
	}
}

// checkGolden compares got with testdata/name, or rewrites it under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got, *update)
}

func TestEnvelopeGolden(t *testing.T) {
	id := Selector{Name: "InstanceID", Value: "5D6E9C39-7A1B-4B5E-9D7E-3C6A0F0E1F2A"}
	tests := []struct {
		name string
		req  *Request
	}{
		{"identify", NewIdentify()},
		{"get", NewGet(jobURI, id)},
		{"get_escaped_selector", NewGet(jobURI, Selector{Name: "InstanceID", Value: `a&b<c>"d"'e'` + "\ttab\nnl\rcr"})},
		{"invoke_geterror", NewInvoke(jobURI, "GetError", []Selector{id}, nil)},
		{"invoke_params", NewInvoke(mspsURI, "Frob", []Selector{id}, []Param{
			{Name: "Name", Values: []string{"x & <y>"}},
			{Name: "Nothing", Null: true},
			{Name: "List", Values: []string{"one", "two"}},
			{Name: "Omitted"},
		})},
		{"enumerate_wql", NewEnumerate(WMIResourceURI(`root\virtualization\v2`, "*"), EnumerateOptions{
			Filter: "SELECT * FROM Msvm_ConcreteJob WHERE Name = 'a<b'", Optimize: true, MaxElements: 32000,
		})},
		{"enumerate_plain", NewEnumerate(jobURI, EnumerateOptions{MaxElements: 10})},
		{"pull", NewPull(jobURI, "uuid:CONTEXT-1", 50)},
		{"release", NewRelease(jobURI, "uuid:CONTEXT-1")},
	}
	withOptions := NewGet(jobURI, id, Selector{Name: "__cimnamespace", Value: "root/virtualization/v2"})
	withOptions.Options = []Option{{Name: "IncludeInheritance", Value: "true", Type: "xs:boolean", MustComply: true}, {Name: "Plain", Value: "v"}}
	tests = append(tests, struct {
		name string
		req  *Request
	}{"get_options", withOptions})

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.req.Envelope(testHeaders())
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tt.name+".golden", got)
			// Whatever the bytes, the envelope must read back as XML with
			// its parts in the right namespaces.
			doc := etree.NewDocument()
			if err := doc.ReadFromBytes(got); err != nil {
				t.Fatalf("envelope is not well-formed: %v", err)
			}
			if !(tree{}).is(doc.Root(), NSSOAP, "Envelope") || (tree{}).child(doc.Root(), NSSOAP, "Body") == nil {
				t.Fatalf("no s:Envelope/s:Body")
			}
		})
	}
}

func TestEnvelopeHeaders(t *testing.T) {
	sel := `a&b<c>"d"'e'` + "\ttab\nnl\rcr"
	env, err := NewInvoke(jobURI, "GetError", []Selector{{Name: `N"&`, Value: sel}}, []Param{{Name: "P", Null: true}}).Envelope(testHeaders())
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(env); err != nil {
		t.Fatal(err)
	}
	hdr := (tree{}).child(doc.Root(), NSSOAP, "Header")
	mustU := func(e *etree.Element) string { v, _ := (tree{}).attrNS(e, NSSOAP, "mustUnderstand"); return v }
	checks := []struct {
		ns, local, text, mustUnderstand string
	}{
		{NSAddressing, "To", "http://hv01.example.com:5985/wsman", ""},
		{NSWSMan, "ResourceURI", jobURI, "true"},
		{NSAddressing, "Action", jobURI + "/GetError", "true"},
		{NSWSMan, "MaxEnvelopeSize", "153600", "true"},
		{NSAddressing, "MessageID", "uuid:11111111-2222-3333-4444-555555555555", ""},
		{NSWSMan, "OperationTimeout", "PT20.000S", ""},
		{NSWSMan, "Locale", "", "false"},
		{NSMSWSMan, "DataLocale", "", "false"},
	}
	for _, c := range checks {
		e := (tree{}).child(hdr, c.ns, c.local)
		if e == nil {
			t.Errorf("no header {%s}%s", c.ns, c.local)
			continue
		}
		if textOf(e) != c.text || mustU(e) != c.mustUnderstand {
			t.Errorf("%s = %q mustUnderstand=%q, want %q %q", c.local, textOf(e), mustU(e), c.text, c.mustUnderstand)
		}
	}
	if v, _ := (tree{}).attrNS((tree{}).child(hdr, NSWSMan, "Locale"), nsXML, "lang"); v != "en-US" {
		t.Errorf("Locale xml:lang = %q", v)
	}
	if v, _ := (tree{}).attrNS((tree{}).child(hdr, NSMSWSMan, "DataLocale"), nsXML, "lang"); v != "de-DE" {
		t.Errorf("DataLocale xml:lang = %q", v)
	}
	addr := (tree{}).child((tree{}).child(hdr, NSAddressing, "ReplyTo"), NSAddressing, "Address")
	if textOf(addr) != AnonymousAddress || mustU(addr) != "true" {
		t.Errorf("ReplyTo/Address = %q mustUnderstand=%q", textOf(addr), mustU(addr))
	}
	s := (tree{}).child((tree{}).child(hdr, NSWSMan, "SelectorSet"), NSWSMan, "Selector")
	// Escaping must survive exactly, including whitespace that attribute
	// normalisation would otherwise turn into spaces.
	if name, _ := attrPlain(s, "Name"); name != `N"&` {
		t.Errorf("selector name = %q", name)
	}
	var raw strings.Builder
	for _, tok := range s.Child {
		raw.WriteString(tok.(*etree.CharData).Data)
	}
	if raw.String() != sel {
		t.Errorf("selector value = %q, want %q", raw.String(), sel)
	}
	in := firstChildElement((tree{}).child(doc.Root(), NSSOAP, "Body"))
	if !(tree{}).is(in, jobURI, "GetError_INPUT") {
		t.Fatalf("body = {%s}%s", in.NamespaceURI(), in.Tag)
	}
	if v, _ := (tree{}).attrNS((tree{}).child(in, jobURI, "P"), NSXSI, "nil"); v != "true" {
		t.Errorf("null param not xsi:nil")
	}
}

func TestEnvelopeIdentifyHasNoAddressing(t *testing.T) {
	env, err := NewIdentify().Envelope(Headers{})
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(env); err != nil {
		t.Fatal(err)
	}
	if n := len((tree{}).child(doc.Root(), NSSOAP, "Header").ChildElements()); n != 0 {
		t.Errorf("Identify header has %d children, want none", n)
	}
	if !(tree{}).is(firstChildElement((tree{}).child(doc.Root(), NSSOAP, "Body")), NSIdentity, "Identify") {
		t.Errorf("body is not wsmid:Identify")
	}
}

func TestEnvelopeRejects(t *testing.T) {
	tests := []struct {
		name string
		req  *Request
		h    Headers
		// invalid: the error is an *InvalidValueError (the caller's value
		// cannot be sent) with this Value, rather than a missing header.
		invalid string
	}{
		{"control char in selector", NewGet(jobURI, Selector{Name: "InstanceID", Value: "a\x01b"}), testHeaders(), "a\x01b"},
		{"invalid utf8", NewGet(jobURI, Selector{Name: "InstanceID", Value: "a\xffb"}), testHeaders(), "a\xffb"},
		{"non-character", NewGet(jobURI, Selector{Name: "InstanceID", Value: "a\uffffb"}), testHeaders(), "a\uffffb"},
		{"invalid utf8 in resource URI", NewGet(jobURI + "\xc3"), testHeaders(), jobURI + "\xc3"},
		{"bad method name", NewInvoke(jobURI, "Get Error", nil, nil), testHeaders(), "Get Error_INPUT"},
		{"bad param name", NewInvoke(jobURI, "GetError", nil, []Param{{Name: "1x", Values: []string{"v"}}}), testHeaders(), "1x"},
		{"no message id", NewGet(jobURI), Headers{To: "http://h/wsman"}, ""},
		{"no To", NewGet(jobURI), Headers{MessageID: "uuid:1"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := tt.req.Envelope(tt.h)
			if err == nil {
				t.Fatalf("no error; envelope %s", env)
			}
			var ive *InvalidValueError
			switch isInvalid := errors.As(err, &ive); {
			case tt.invalid == "" && isInvalid:
				t.Errorf("err = %v, an *InvalidValueError for a missing header", err)
			case tt.invalid != "" && !isInvalid:
				t.Errorf("err = %v (%T), want an *InvalidValueError", err, err)
			case isInvalid && ive.Value != tt.invalid:
				t.Errorf("InvalidValueError.Value = %q, want %q", ive.Value, tt.invalid)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		20 * time.Second:        "PT20.000S",
		1500 * time.Millisecond: "PT1.500S",
		time.Hour:               "PT3600.000S",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// Whatever a selector holds, the envelope either carries it exactly or
// refuses it.
func FuzzEnvelopeSelector(f *testing.F) {
	for _, s := range []string{"", "plain", `a&b<c>"d"'e'`, "\t\r\n", "\x00", "\xff", "]]>", "ü€𝄞"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, name, value string) {
		env, err := NewGet(jobURI, Selector{Name: name, Value: value}).Envelope(testHeaders())
		if err != nil {
			// The headers are complete: only the caller's values can be at fault.
			if ive := (*InvalidValueError)(nil); !errors.As(err, &ive) {
				t.Fatalf("err = %v (%T), want an *InvalidValueError", err, err)
			}
			return
		}
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(env); err != nil {
			t.Fatalf("envelope does not parse: %v\n%s", err, env)
		}
		sel := (tree{}).child((tree{}).child((tree{}).child(doc.Root(), NSSOAP, "Header"), NSWSMan, "SelectorSet"), NSWSMan, "Selector")
		var raw strings.Builder
		for _, tok := range sel.Child {
			raw.WriteString(tok.(*etree.CharData).Data)
		}
		if got, _ := attrPlain(sel, "Name"); got != name || raw.String() != value {
			t.Errorf("selector %q=%q came back as %q=%q", name, value, got, raw.String())
		}
	})
}
