package job

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/wsman"
)

const testMessageID = "uuid:0b5c9a1e-1d2f-4c1a-9e7b-1f0e2d3c4b5a"

// fakeHost answers by action with canned bodies, the way a WS-Man service
// would, so these tests need neither a network nor the simulator.
type fakeHost struct {
	replies map[string]string // action suffix -> body content
	calls   []string
}

func (h *fakeHost) RoundTrip(_ context.Context, envelope []byte) (*wsman.Reply, error) {
	env := string(envelope)
	for suffix, body := range h.replies {
		if strings.Contains(env, suffix+"</") {
			h.calls = append(h.calls, suffix)
			return &wsman.Reply{Body: []byte(envelopeWith(body)), Status: 200}, nil
		}
	}
	return nil, fmt.Errorf("fake host: no reply for %.200s", env)
}

func (h *fakeHost) Close() error { return nil }

func envelopeWith(body string) string {
	return `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing">` +
		`<s:Header><a:RelatesTo>` + testMessageID + `</a:RelatesTo><a:MessageID>uuid:7f1e0c3a-0000-4000-8000-000000000001</a:MessageID></s:Header>` +
		`<s:Body>` + body + `</s:Body></s:Envelope>`
}

func newTestClient(h *fakeHost) *wsman.Client {
	c, err := wsman.NewClient(wsman.Config{Transport: h, URL: "http://hv01:5985/wsman", NewMessageID: func() string { return testMessageID }})
	if err != nil {
		panic(err)
	}
	return c
}

const hvURI = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/Msvm_ConcreteJob"

// msvmError is an Msvm_Error as CIM-XML, escaped for a string parameter.
const msvmError = `&lt;INSTANCE CLASSNAME="Msvm_Error"&gt;` +
	`&lt;PROPERTY NAME="Message" TYPE="string"&gt;&lt;VALUE&gt;'vm01' failed to start.&lt;/VALUE&gt;&lt;/PROPERTY&gt;` +
	`&lt;PROPERTY NAME="MessageID" TYPE="string"&gt;&lt;VALUE&gt;32788&lt;/VALUE&gt;&lt;/PROPERTY&gt;` +
	`&lt;PROPERTY NAME="PerceivedSeverity" TYPE="uint16"&gt;&lt;VALUE&gt;5&lt;/VALUE&gt;&lt;/PROPERTY&gt;` +
	`&lt;/INSTANCE&gt;`

func hvOutput(method, inner string) string {
	return `<p:` + method + `_OUTPUT xmlns:p="` + hvURI + `">` + inner + `</p:` + method + `_OUTPUT>`
}

func TestGetErrorsHyperVGetErrorEx(t *testing.T) {
	h := &fakeHost{replies: map[string]string{
		"GetErrorEx": hvOutput("GetErrorEx", `<p:Errors>`+msvmError+`</p:Errors><p:Errors>`+msvmError+`</p:Errors><p:ReturnValue>0</p:ReturnValue>`),
	}}
	res, err := GetErrors(context.Background(), newTestClient(h), Ref{Profile: HyperV(), InstanceID: "J1"}, Options{SkipJob: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Method != MethodGetErrorEx || len(res.Errors) != 2 {
		t.Fatalf("method %s, %d errors; want GetErrorEx, 2", res.Method, len(res.Errors))
	}
	if got := res.Errors[0].Message; got != "'vm01' failed to start." {
		t.Errorf("message %q", got)
	}
	if res.Succeeded() {
		t.Error("a job with errors succeeded")
	}
	var je *FailedError
	if err := res.Err(); !errors.As(err, &je) {
		t.Fatalf("Err() = %v, want *FailedError", err)
	}
	var ce *cim.Error
	if !errors.As(res.Err(), &ce) || ce.MessageID != "32788" {
		t.Errorf("errors.As(*cim.Error) = %v", ce)
	}
}

func TestGetErrorsFallsBackWhenGetErrorExIsMissing(t *testing.T) {
	fault := `<s:Fault xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"><s:Code><s:Value>s:Sender</s:Value>` +
		`<s:Subcode><s:Value>a:ActionNotSupported</s:Value></s:Subcode></s:Code>` +
		`<s:Reason><s:Text xml:lang="en-US">The action is not supported by the service.</s:Text></s:Reason></s:Fault>`
	h := &fakeHost{replies: map[string]string{
		"GetErrorEx": fault,
		"GetError":   hvOutput("GetError", `<p:Error>`+msvmError+`</p:Error><p:ReturnValue>32768</p:ReturnValue>`),
	}}
	res, err := GetErrors(context.Background(), newTestClient(h), Ref{Profile: HyperV(), InstanceID: "J1"}, Options{SkipJob: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Method != MethodGetError || len(res.Errors) != 1 || len(res.Notes) != 1 {
		t.Fatalf("method %s, %d errors, notes %q", res.Method, len(res.Errors), res.Notes)
	}
	if res.ReturnValue.Value != 32768 || res.ReturnValue.Name != "Failed" {
		t.Errorf("return value %+v, want 32768 Failed", res.ReturnValue)
	}
}

func TestGetErrorsExplicitMethodDoesNotFallBack(t *testing.T) {
	fault := `<s:Fault xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"><s:Code><s:Value>s:Sender</s:Value>` +
		`<s:Subcode><s:Value>a:ActionNotSupported</s:Value></s:Subcode></s:Code><s:Reason><s:Text>no</s:Text></s:Reason></s:Fault>`
	h := &fakeHost{replies: map[string]string{"GetErrorEx": fault}}
	_, err := GetErrors(context.Background(), newTestClient(h), Ref{Profile: HyperV(), InstanceID: "J1"}, Options{Method: MethodGetErrorEx, SkipJob: true})
	var f *wsman.Fault
	if !errors.As(err, &f) {
		t.Fatalf("err = %v, want *wsman.Fault", err)
	}
}

func TestGetErrorsMSPSEmbeddedObject(t *testing.T) {
	const uri = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/MSPS/Msps_ProvisioningJob"
	body := `<p:GetError_OUTPUT xmlns:p="` + uri + `" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
		`<p:Error xmlns:q="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_Error" xsi:type="q:CIM_Error_Type">` +
		`<q:Message>Provisioning failed.</q:Message><q:MessageID>MSPS0042</q:MessageID>` +
		`<q:PerceivedSeverity>6</q:PerceivedSeverity><q:CIMStatusCode>1</q:CIMStatusCode></p:Error>` +
		`<p:ReturnValue>40000</p:ReturnValue></p:GetError_OUTPUT>`
	h := &fakeHost{replies: map[string]string{"GetError": body}}
	res, err := GetErrors(context.Background(), newTestClient(h), Ref{Profile: MSPS(), InstanceID: "P1"}, Options{SkipJob: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || res.Errors[0].MessageID != "MSPS0042" {
		t.Fatalf("errors %+v", res.Errors)
	}
	if res.ReturnValue.Name != "Vendor Specific" || !res.ReturnValue.Range {
		t.Errorf("return value %+v, want the Vendor Specific range", res.ReturnValue)
	}
	if res.Errors[0].PerceivedSeverity == nil || res.Errors[0].PerceivedSeverity.Name != "Critical" {
		t.Errorf("severity %+v", res.Errors[0].PerceivedSeverity)
	}
}

func TestGetErrorsNilErrorIsSuccess(t *testing.T) {
	h := &fakeHost{replies: map[string]string{
		"GetErrorEx": hvOutput("GetErrorEx", `<p:ReturnValue>0</p:ReturnValue>`),
	}}
	res, err := GetErrors(context.Background(), newTestClient(h), Ref{Profile: HyperV(), InstanceID: "J1"}, Options{SkipJob: true})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Succeeded() || res.Err() != nil {
		t.Fatalf("succeeded %v, err %v", res.Succeeded(), res.Err())
	}
}

func TestGetErrorsBadCIMXMLIsAnError(t *testing.T) {
	h := &fakeHost{replies: map[string]string{
		"GetErrorEx": hvOutput("GetErrorEx", `<p:Errors>&lt;INSTANCE CLASSNAME="Msvm_Error"&gt;&lt;PROPERTY</p:Errors><p:ReturnValue>0</p:ReturnValue>`),
	}}
	_, err := GetErrors(context.Background(), newTestClient(h), Ref{Profile: HyperV(), InstanceID: "J1"}, Options{SkipJob: true})
	var de *cim.DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("err = %v, want *cim.DecodeError", err)
	}
}

func TestLookupProfile(t *testing.T) {
	tests := []struct {
		name, ns, class string
		wantClass       string
		wantNS          string
		wantErr         bool
	}{
		{"hyperv", "", "", "Msvm_ConcreteJob", "root/virtualization/v2", false},
		{"HyperV", "", "Msvm_MigrationJob", "Msvm_MigrationJob", "root/virtualization/v2", false},
		{"msps", "", "", "Msps_ProvisioningJob", "root/MSPS", false},
		{"cim", `root\cimv2`, "Foo_Job", "Foo_Job", "root/cimv2", false},
		{"cim", "", "Foo_Job", "", "", true},
		{"vmware", "", "", "", "", true},
	}
	for _, tt := range tests {
		p, err := LookupProfile(tt.name, tt.ns, tt.class)
		if (err != nil) != tt.wantErr {
			t.Errorf("LookupProfile(%q, %q, %q) error %v", tt.name, tt.ns, tt.class, err)
			continue
		}
		if err == nil && (p.Class != tt.wantClass || p.Namespace != tt.wantNS) {
			t.Errorf("LookupProfile(%q, %q, %q) = %s in %s", tt.name, tt.ns, tt.class, p.Class, p.Namespace)
		}
	}
	if got := HyperV().ResourceURI(); got != hvURI {
		t.Errorf("ResourceURI = %s", got)
	}
}

func TestParseMethod(t *testing.T) {
	for in, want := range map[string]Method{"": MethodAuto, "auto": MethodAuto, "AUTO": MethodAuto, "geterror": MethodGetError, "GetErrorEx": MethodGetErrorEx, "GETERROREX": MethodGetErrorEx} {
		if got, err := ParseMethod(in); err != nil || got != want {
			t.Errorf("ParseMethod(%q) = %v, %v; want %v", in, got, err, want)
		}
		// Set is the flag's way in: the same parse, no second one later.
		m := Method(99)
		if err := m.Set(in); err != nil || m != want {
			t.Errorf("Set(%q) = %v, %v; want %v", in, m, err, want)
		}
	}
	for _, bad := range []string{"GetErrors", "KillJob", " auto", "Method(1)"} {
		if _, err := ParseMethod(bad); err == nil {
			t.Errorf("ParseMethod(%q) accepted", bad)
		}
		m := MethodGetError
		if err := m.Set(bad); err == nil || m != MethodGetError {
			t.Errorf("Set(%q) = %v, %v; want an error and no change", bad, m, err)
		}
	}
	for _, m := range []Method{MethodAuto, MethodGetError, MethodGetErrorEx} {
		if back, err := ParseMethod(m.String()); err != nil || back != m {
			t.Errorf("ParseMethod(%v.String()) = %v, %v", m, back, err)
		}
	}
}

// TestGetErrorsUnknownMethod checks that a Method outside the constants is
// refused before anything is sent, not called by a made-up name.
func TestGetErrorsUnknownMethod(t *testing.T) {
	h := &fakeHost{replies: map[string]string{}}
	_, err := GetErrors(context.Background(), newTestClient(h), Ref{Profile: HyperV(), InstanceID: "J1"}, Options{Method: Method(7), SkipJob: true})
	if err == nil || !strings.Contains(err.Error(), "unknown method") {
		t.Fatalf("err = %v, want unknown method", err)
	}
	if len(h.calls) != 0 {
		t.Errorf("calls = %q, want none", h.calls)
	}
}

// TestLookupProfileRefusesNonNames: a class or namespace goes into WQL and
// resource URIs, so anything but a WMI name is refused before it is sent
// (found in review: --class 'Msvm_ConcreteJob WHERE ...' rewrote the query).
func TestLookupProfileRefusesNonNames(t *testing.T) {
	tests := []struct {
		profile, ns, class string
		ok                 bool
	}{
		{"hyperv", "", "", true},
		{"cim", `root\cimv2`, "CIM_ConcreteJob", true},
		{"cim", "root/virtualization/v2", "Msvm_MigrationJob", true},
		{"hyperv", "", "Msvm_ConcreteJob WHERE JobState = 10 OR JobState", false},
		{"hyperv", "", "Msvm_ConcreteJob;", false},
		{"hyperv", "", "9Job", false},
		{"cim", "root/../x", "CIM_ConcreteJob", false},
		{"cim", "/root", "CIM_ConcreteJob", false},
		{"msps", "root/MSPS\"", "", false},
	}
	for _, tt := range tests {
		_, err := LookupProfile(tt.profile, tt.ns, tt.class)
		if (err == nil) != tt.ok {
			t.Errorf("LookupProfile(%q, %q, %q) = %v, want ok %v", tt.profile, tt.ns, tt.class, err, tt.ok)
		}
	}
	if _, err := List(context.Background(), nil, Profile{Namespace: "root/x", Class: "A OR B"}, ListOptions{}); err == nil {
		t.Error("List sent a class that is no WMI name")
	}
}
