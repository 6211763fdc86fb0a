package cim

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"sort"
	"strings"
	"testing"
)

func decodeFile(t *testing.T, file string) *Instance {
	t.Helper()
	data, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	var inst *Instance
	if strings.HasPrefix(file, "wscim_") {
		inst, err = ParseWSCIMBytes(data, Limits{})
	} else {
		inst, err = ParseCIMXML(data, Limits{})
	}
	if err != nil {
		t.Fatalf("decode %s: %v", file, err)
	}
	return inst
}

func TestNewErrorGolden(t *testing.T) {
	for _, file := range []string{
		"cimxml_msvm_error_escaped.xml", "cimxml_cdata_german.xml", "cimxml_vendor_outside_maps.xml",
		"cimxml_embedded.xml", "wscim_cim_error_prefixed.xml", "wscim_msft_wmierror.xml", "wscim_no_xsitype.xml",
	} {
		t.Run(file, func(t *testing.T) {
			e, err := NewError(decodeFile(t, file))
			if err != nil {
				t.Fatalf("NewError: %v", err)
			}
			checkGolden(t, "error_"+goldenName(file), e)
		})
	}
}

func TestNewErrorFields(t *testing.T) {
	e, err := NewError(decodeFile(t, "cimxml_msvm_error_escaped.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if e.Class != "Msvm_Error" || e.MessageID != "3050" || e.OwningEntity != "Microsoft-Windows-Hyper-V-Worker" {
		t.Errorf("strings: %+v", e)
	}
	if e.PerceivedSeverity.String() != "Critical (6)" || e.ErrorType.String() != "Software Error (4)" ||
		e.ProbableCause.String() != "Out of Memory (33)" || e.CIMStatusCode.String() != "CIM_ERR_FAILED (1)" ||
		e.ErrorSourceFormat.String() != "CIMObjectPath (2)" {
		t.Errorf("enums: %v %v %v %v %v", e.PerceivedSeverity, e.ErrorType, e.ProbableCause, e.CIMStatusCode, e.ErrorSourceFormat)
	}
	if len(e.MessageArguments) != 4 || e.RecommendedActions != nil || len(e.Extra) != 0 {
		t.Errorf("lists: %q %q extra %d", e.MessageArguments, e.RecommendedActions, len(e.Extra))
	}
	want := "'VM01' failed to start. (Virtual machine ID 1B2C3D4E-0000-4000-8000-00000000A1B2) 'VM01' could not initialize memory: Ran out of memory (0x8007000E). <see event log> & retry (MessageID 3050)"
	if e.Error() != want {
		t.Errorf("Error() = %q\nwant     %q", e.Error(), want)
	}

	v, err := NewError(decodeFile(t, "cimxml_vendor_outside_maps.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if v.CIMStatusCode.String() != "DMTF Reserved (0)" || !v.PerceivedSeverity.Range || v.ProbableCause.Value != 9999 {
		t.Errorf("outside maps: %v %+v %v", v.CIMStatusCode, v.PerceivedSeverity, v.ProbableCause)
	}
	if got := v.FormattedMessage(); got != "The operation on disk.vhdx failed with 0x80070005; retry disk.vhdx." {
		t.Errorf("FormattedMessage = %q", got)
	}
	var names []string
	for _, p := range v.Extra {
		names = append(names, p.Name)
	}
	if strings.Join(names, ",") != "error_Code,error_Category,error_Tags,error_WindowsErrorMessage" {
		t.Errorf("Extra = %q", names)
	}
}

func TestNewErrorRejects(t *testing.T) {
	e, err := NewError(nil)
	var de *DecodeError
	if !errors.As(err, &de) || de.Format != FormatCIMError || e != nil {
		t.Errorf("NewError(nil) = %v, %v; want a *DecodeError", e, err)
	}
}

// TestNewErrorBadEnums checks that a malformed enumeration costs only
// itself: the Message is still read, a blank one is NULL, and one that is
// not a number is kept raw in Extra.
func TestNewErrorBadEnums(t *testing.T) {
	prop := func(name, text string) Property {
		return Property{Name: name, Type: TypeUint16, Values: []Value{{Text: text}}}
	}
	tests := []struct {
		name  string
		prop  Property
		extra bool // kept in Extra; otherwise a NULL enumeration
	}{
		{"NULL", Property{Name: "PerceivedSeverity", Null: true}, false},
		{"empty", prop("ErrorType", ""), false},
		{"blank", prop("PerceivedSeverity", " \n "), false},
		{"word", prop("PerceivedSeverity", "high"), true},
		{"negative", prop("cimstatuscode", "-1"), true},
		{"letters", prop("ProbableCause", "abc"), true},
		{"hex", prop("ProbableCause", "0x10"), true},
		{"overflow", prop("ErrorSourceFormat", "18446744073709551616"), true},
		{"array", Property{Name: "ErrorType", Array: true, Values: []Value{{Text: "1"}, {Text: "2"}}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inst := &Instance{ClassName: "CIM_Error", Properties: []Property{prop("Message", "Disk full."), tc.prop}}
			e, err := NewError(inst)
			if err != nil {
				t.Fatalf("NewError: %v", err)
			}
			if e.Message != "Disk full." {
				t.Errorf("Message = %q", e.Message)
			}
			if e.ErrorType != nil || e.PerceivedSeverity != nil || e.ProbableCause != nil || e.ErrorSourceFormat != nil || e.CIMStatusCode != nil {
				t.Errorf("enumeration set from %+v", tc.prop)
			}
			kept := len(e.Extra) == 1 && e.Extra[0].Name == tc.prop.Name
			if kept != tc.extra || (!tc.extra && len(e.Extra) != 0) {
				t.Errorf("Extra = %+v, want the property kept: %v", e.Extra, tc.extra)
			}
		})
	}
}

func TestFormattedMessage(t *testing.T) {
	args := []string{"VM01", "0x8007000E", "C:\\VMs"}
	tests := []struct {
		msg  string
		args []string
		want string
	}{
		{"No placeholders, 100% sure {not one}", args, "No placeholders, 100% sure {not one}"},
		{"'%1' failed: %2.", args, "'VM01' failed: 0x8007000E."},
		{"'%1!s!' at %3, %2!08x! done", args, "'VM01' at C:\\VMs, 0x8007000E done"},
		{"%1 is 50%% done, %4 missing", args, "VM01 is 50% done, %4 missing"},
		{"%10 tenth", args, "%10 tenth"},
		{"{0} failed with {1}; {0} again", args, "VM01 failed with 0x8007000E; VM01 again"},
		{"{0,10} {1:x} {{literal}} {5}", args, "VM01 0x8007000E {literal} {5}"},
		{"{0} and %1", args, "VM01 and VM01"},
		{"Fehler bei „%1“: %2", args, "Fehler bei „VM01“: 0x8007000E"},
		{"%1", nil, "%1"},
		{"", args, "VM01; 0x8007000E; C:\\VMs"},
		{"", nil, ""},
	}
	for _, tc := range tests {
		e := &Error{Message: tc.msg, MessageArguments: tc.args}
		if got := e.FormattedMessage(); got != tc.want {
			t.Errorf("FormattedMessage(%q) = %q, want %q", tc.msg, got, tc.want)
		}
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{Message: "Failed.", MessageID: "12"}, "Failed. (MessageID 12)"},
		{Error{Message: "Line one.\r\n  Line two.\n"}, "Line one. Line two."},
		{Error{Class: "Msvm_Error", MessageID: "7"}, "Msvm_Error without a message (MessageID 7)"},
		{Error{}, "CIM_Error without a message"},
		{Error{MessageArguments: []string{"a", "b"}}, "a; b"},
	}
	for _, tc := range tests {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestErrorJSONSchema(t *testing.T) {
	data, err := json.Marshal(&Error{})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	want := "cimStatusCode cimStatusCodeDescription class errorSource errorSourceFormat errorType extraProperties formattedMessage message messageArguments messageID otherErrorSourceFormat otherErrorType owningEntity perceivedSeverity probableCause probableCauseDescription recommendedActions"
	if strings.Join(keys, " ") != want {
		t.Errorf("keys = %s", strings.Join(keys, " "))
	}
	for k, v := range map[string]string{"messageArguments": "[]", "recommendedActions": "[]", "extraProperties": "[]", "perceivedSeverity": "null", "message": `""`} {
		if !bytes.Equal(m[k], []byte(v)) {
			t.Errorf("%s = %s, want %s", k, m[k], v)
		}
	}
	enum, _ := json.Marshal(&Enum{Value: 40, Name: "DMTF Reserved", Range: true})
	if string(enum) != `{"value":40,"name":"DMTF Reserved","range":true}` {
		t.Errorf("Enum JSON = %s", enum)
	}
}

func FuzzNewError(f *testing.F) {
	for _, file := range []string{"cimxml_msvm_error_escaped.xml", "cimxml_vendor_outside_maps.xml", "cimxml_embedded.xml", "cimxml_nulls_arrays.xml"} {
		data, err := os.ReadFile("testdata/" + file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`<INSTANCE CLASSNAME="CIM_Error"><PROPERTY NAME="Message" TYPE="string"><VALUE>%1 {0} %% {{ %99!x</VALUE></PROPERTY></INSTANCE>`))
	lim := Limits{MaxBytes: 64 << 10, MaxDepth: 32, MaxProperties: 64}
	f.Fuzz(func(t *testing.T, data []byte) {
		inst, err := ParseCIMXML(data, lim)
		if err != nil {
			return
		}
		e, err := NewError(inst)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *DecodeError", err)
			}
			return
		}
		if strings.ContainsAny(e.Error(), "\r\n") {
			t.Fatalf("Error() spans lines: %q", e.Error())
		}
		if _, err := json.Marshal(e); err != nil {
			t.Fatalf("MarshalJSON: %v", err)
		}
	})
}

// TestNewErrorBadEnumsOnTheWire runs the same rule through the WS-CIM
// decoder, as an embedded CIM_Error arrives.
func TestNewErrorBadEnumsOnTheWire(t *testing.T) {
	const doc = `<p:CIM_Error xmlns:p="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_Error">` +
		`<p:PerceivedSeverity/><p:CIMStatusCode>-1</p:CIMStatusCode><p:Message>Access denied.</p:Message></p:CIM_Error>`
	inst, err := ParseWSCIMBytes([]byte(doc), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewError(inst)
	if err != nil {
		t.Fatalf("NewError: %v", err)
	}
	if e.Message != "Access denied." || e.PerceivedSeverity != nil || e.CIMStatusCode != nil {
		t.Errorf("got %+v", e)
	}
	if len(e.Extra) != 1 || e.Extra[0].Name != "CIMStatusCode" || e.Extra[0].Values[0].Text != "-1" {
		t.Errorf("Extra = %+v, want CIMStatusCode kept raw", e.Extra)
	}
}
