package wsman

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
)

// fakeService answers envelopes in memory: reply gets the parsed request
// and returns a body (without the envelope) or a whole envelope.
type fakeService struct {
	reply    func(req *etree.Element, action string) string
	status   int
	requests []*etree.Document
	wrongRel bool
}

func (s *fakeService) RoundTripStatus(ctx context.Context, env []byte) ([]byte, int, error) {
	if _, ok := ctx.Deadline(); !ok {
		return nil, 0, errors.New("the Client sent a call without a deadline")
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(env); err != nil {
		return nil, 0, err
	}
	s.requests = append(s.requests, doc)
	hdr := (tree{}).child(doc.Root(), NSSOAP, "Header")
	action := textOf((tree{}).child(hdr, NSAddressing, "Action"))
	id := textOf((tree{}).child(hdr, NSAddressing, "MessageID"))
	if s.wrongRel {
		id = "uuid:someone-else"
	}
	body := s.reply(firstChildElement((tree{}).child(doc.Root(), NSSOAP, "Body")), action)
	if strings.HasPrefix(body, "<s:Envelope") {
		return []byte(strings.ReplaceAll(body, "RELATES", id)), s.statusOr200(), nil
	}
	out := fmt.Sprintf(`<s:Envelope xmlns:s="%s" xmlns:a="%s" xmlns:w="%s" xmlns:n="%s"><s:Header><a:Action>%sResponse</a:Action><a:MessageID>uuid:R</a:MessageID><a:RelatesTo>%s</a:RelatesTo></s:Header><s:Body>%s</s:Body></s:Envelope>`,
		NSSOAP, NSAddressing, NSWSMan, NSEnumeration, action, id, body)
	return []byte(out), s.statusOr200(), nil
}

func (s *fakeService) statusOr200() int {
	if s.status == 0 {
		return 200
	}
	return s.status
}

func (s *fakeService) RoundTrip(ctx context.Context, env []byte) ([]byte, error) {
	b, _, err := s.RoundTripStatus(ctx, env)
	return b, err
}

func newFakeClient(s *fakeService) *Client {
	n := 0
	return &Client{Transport: s, URL: "http://hv01:5985/wsman", NewMessageID: func() string {
		n++
		return fmt.Sprintf("uuid:00000000-0000-4000-8000-%012d", n)
	}}
}

const getErrorOutput = `<p:GetError_OUTPUT xmlns:p="` + jobURI + `" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><p:Error>&lt;INSTANCE CLASSNAME="Msvm_Error"/&gt;</p:Error><p:ReturnValue>0</p:ReturnValue></p:GetError_OUTPUT>`

func TestInvoke(t *testing.T) {
	s := &fakeService{reply: func(req *etree.Element, action string) string {
		if action != jobURI+"/GetError" || !(tree{}).is(req, jobURI, "GetError_INPUT") {
			return "<unexpected/>"
		}
		return getErrorOutput
	}}
	c := newFakeClient(s)
	out, err := c.Invoke(context.Background(), jobURI, "GetError", []Selector{{"InstanceID", "J1"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rv, err := out.ReturnValue()
	if err != nil || rv != 0 {
		t.Errorf("ReturnValue = %d, %v", rv, err)
	}
	if p := out.Params("error"); len(p) != 1 || textOf(p[0]) != `<INSTANCE CLASSNAME="Msvm_Error"/>` {
		t.Errorf("Params(error) = %v", p)
	}
	// Headers the Client fills in.
	hdr := (tree{}).child(s.requests[0].Root(), NSSOAP, "Header")
	if got := textOf((tree{}).child(hdr, NSAddressing, "MessageID")); got != "uuid:00000000-0000-4000-8000-000000000001" {
		t.Errorf("MessageID = %q", got)
	}
	if got := textOf((tree{}).child(hdr, NSWSMan, "OperationTimeout")); got != "PT60.000S" {
		t.Errorf("OperationTimeout without deadline = %q", got)
	}
	if got := textOf((tree{}).child(hdr, NSAddressing, "To")); got != c.URL {
		t.Errorf("To = %q", got)
	}
}

func TestInvokeRejectsWrongOutput(t *testing.T) {
	for _, body := range []string{"", `<p:Other_OUTPUT xmlns:p="urn:x"/>`} {
		c := newFakeClient(&fakeService{reply: func(*etree.Element, string) string { return body }})
		_, err := c.Invoke(context.Background(), jobURI, "GetError", nil, nil)
		var re *ResponseError
		if !errors.As(err, &re) {
			t.Errorf("body %q: err = %v, want *ResponseError", body, err)
		}
	}
}

func TestReturnValue(t *testing.T) {
	tests := []struct {
		xml  string
		want uint32
		ok   bool
	}{
		{`<ReturnValue>4096</ReturnValue>`, 4096, true},
		{`<returnvalue> 32768 </returnvalue>`, 32768, true},
		{`<ReturnValue>-1</ReturnValue>`, 0, false},
		{`<ReturnValue>4294967296</ReturnValue>`, 0, false},
		{`<ReturnValue xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/>`, 0, false},
		{``, 0, false},
	}
	for _, tt := range tests {
		doc := etree.NewDocument()
		if err := doc.ReadFromString("<M_OUTPUT>" + tt.xml + "</M_OUTPUT>"); err != nil {
			t.Fatal(err)
		}
		got, err := (&Output{Element: doc.Root()}).ReturnValue()
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("%s: ReturnValue = %d, %v", tt.xml, got, err)
		}
	}
}

func TestDoRelatesToMismatch(t *testing.T) {
	s := &fakeService{wrongRel: true, reply: func(*etree.Element, string) string { return getErrorOutput }}
	_, err := newFakeClient(s).Invoke(context.Background(), jobURI, "GetError", nil, nil)
	var re *ResponseError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "RelatesTo") {
		t.Fatalf("err = %v, want a RelatesTo *ResponseError", err)
	}
}

func TestDoFaultStatuses(t *testing.T) {
	fault := string(readTestdata(t, "fault_invalid_selectors.xml"))
	fault = strings.ReplaceAll(fault, "uuid:11111111-2222-3333-4444-555555555555", "RELATES")
	for _, status := range []int{500, 400, 200} {
		s := &fakeService{status: status, reply: func(*etree.Element, string) string { return fault }}
		_, err := newFakeClient(s).Invoke(context.Background(), jobURI, "GetError", nil, nil)
		var f *Fault
		if !errors.As(err, &f) || !IsInvalidSelectors(err) {
			t.Fatalf("status %d: err = %v, want InvalidSelectors *Fault", status, err)
		}
		if f.HTTPStatus != status {
			t.Errorf("HTTPStatus = %d, want %d", f.HTTPStatus, status)
		}
	}
	// A fault about another message is not ours.
	s := &fakeService{wrongRel: true, status: 500, reply: func(*etree.Element, string) string { return fault }}
	_, err := newFakeClient(s).Invoke(context.Background(), jobURI, "GetError", nil, nil)
	var re *ResponseError
	if !errors.As(err, &re) {
		t.Errorf("fault with foreign RelatesTo: err = %v", err)
	}
}

// A fault that reaches the Client inside an *HTTPError (any status other
// than 200/500) is still a *Fault.
type httpErrorTransport struct{ body []byte }

func (h httpErrorTransport) RoundTrip(ctx context.Context, env []byte) ([]byte, error) {
	return nil, &HTTPError{URL: "http://x/wsman", StatusCode: 400, Status: "400 Bad Request", Body: h.body}
}

func TestDoFaultInsideHTTPError(t *testing.T) {
	body := readTestdata(t, "fault_enum_context_default_ns.xml")
	c := &Client{Transport: httpErrorTransport{body}, URL: "http://x/wsman", NewMessageID: func() string { return "uuid:11111111-2222-3333-4444-555555555555" }}
	_, err := c.Do(context.Background(), NewPull(jobURI, "ctx", 0))
	var f *Fault
	if !errors.As(err, &f) || f.HTTPStatus != 400 || !IsInvalidEnumerationContext(err) {
		t.Fatalf("err = %v, want InvalidEnumerationContext *Fault with status 400", err)
	}
	c.Transport = httpErrorTransport{[]byte("<html>nope</html>")}
	_, err = c.Do(context.Background(), NewPull(jobURI, "ctx", 0))
	var he *HTTPError
	if !errors.As(err, &he) {
		t.Fatalf("err = %v, want *HTTPError", err)
	}
}

func TestDo500WithoutFault(t *testing.T) {
	s := &fakeService{status: 500, reply: func(*etree.Element, string) string { return getErrorOutput }}
	_, err := newFakeClient(s).Invoke(context.Background(), jobURI, "GetError", nil, nil)
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != 500 {
		t.Fatalf("err = %v, want *HTTPError 500", err)
	}
}

func TestOperationTimeoutFromDeadline(t *testing.T) {
	c := &Client{OperationTimeout: 5 * time.Minute}
	if got := c.operationTimeout(context.Background()); got != 5*time.Minute {
		t.Errorf("no deadline: %v", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	if got := c.operationTimeout(ctx); got >= time.Hour || got < 50*time.Minute {
		t.Errorf("1h deadline: %v, want a little under an hour", got)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel2()
	if got := c.operationTimeout(ctx2); got != time.Second {
		t.Errorf("tiny deadline: %v, want the 1s floor", got)
	}
}

func TestIdentify(t *testing.T) {
	s := &fakeService{reply: func(req *etree.Element, action string) string {
		if action != "" || !(tree{}).is(req, NSIdentity, "Identify") {
			return "<unexpected/>"
		}
		return `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header/><s:Body><wsmid:IdentifyResponse xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><wsmid:ProtocolVersion>http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd</wsmid:ProtocolVersion><wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor><wsmid:ProductVersion>OS: 10.0.20348 SP: 0.0 Stack: 3.0</wsmid:ProductVersion></wsmid:IdentifyResponse></s:Body></s:Envelope>`
	}}
	id, err := newFakeClient(s).Identify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if id.ProductVendor != "Microsoft Corporation" || id.ProtocolVersion != NSWSMan || !strings.Contains(id.ProductVersion, "Stack: 3.0") {
		t.Errorf("identity = %+v", id)
	}
}

const jobItem = `<p:Msvm_ConcreteJob xmlns:p="` + jobURI + `"><p:InstanceID>%s</p:InstanceID></p:Msvm_ConcreteJob>`

func TestEnumerate(t *testing.T) {
	item := func(id string) string { return fmt.Sprintf(jobItem, id) }
	tests := []struct {
		name    string
		replies []string
		want    []string
		wantErr bool
	}{
		{"optimized, all at once", []string{
			`<n:EnumerateResponse><n:EnumerationContext/><w:Items>` + item("A") + item("B") + `</w:Items><w:EndOfSequence/></n:EnumerateResponse>`,
		}, []string{"A", "B"}, false},
		{"empty", []string{
			`<n:EnumerateResponse><n:EnumerationContext></n:EnumerationContext><w:EndOfSequence/></n:EnumerateResponse>`,
		}, nil, false},
		{"pulls", []string{
			`<n:EnumerateResponse><n:EnumerationContext>uuid:C1</n:EnumerationContext><w:Items>` + item("A") + `</w:Items></n:EnumerateResponse>`,
			`<n:PullResponse><n:EnumerationContext>uuid:C2</n:EnumerationContext><n:Items>` + item("B") + `</n:Items></n:PullResponse>`,
			`<n:PullResponse><n:Items>` + item("C") + `</n:Items><n:EndOfSequence/></n:PullResponse>`,
		}, []string{"A", "B", "C"}, false},
		{"no context, no end", []string{`<n:EnumerateResponse/>`}, nil, true},
		{"wrong pull reply", []string{
			`<n:EnumerateResponse><n:EnumerationContext>uuid:C1</n:EnumerationContext></n:EnumerateResponse>`,
			`<n:Bogus/>`,
		}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var contexts []string
			s := &fakeService{}
			s.reply = func(req *etree.Element, action string) string {
				if action == ActionPull {
					contexts = append(contexts, textOf((tree{}).child(req, NSEnumeration, "EnumerationContext")))
				}
				if action == ActionRelease {
					return ""
				}
				n := len(s.requests) - 1
				if n >= len(tt.replies) {
					return `<n:PullResponse/>`
				}
				return tt.replies[n]
			}
			got, err := newFakeClient(s).Enumerate(context.Background(), jobURI, EnumerateOptions{Optimize: true, MaxElements: 1})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			var ids []string
			for _, inst := range got {
				ids = append(ids, inst.Property("InstanceID").Values[0].Text)
			}
			if fmt.Sprint(ids) != fmt.Sprint(tt.want) {
				t.Errorf("items = %v, want %v", ids, tt.want)
			}
			if tt.name == "pulls" && fmt.Sprint(contexts) != "[uuid:C1 uuid:C2]" {
				t.Errorf("pulled with %v", contexts)
			}
		})
	}
}

func TestEnumerateBounded(t *testing.T) {
	s := &fakeService{}
	s.reply = func(req *etree.Element, action string) string {
		if action == ActionEnumerate {
			return `<n:EnumerateResponse><n:EnumerationContext>uuid:C</n:EnumerationContext></n:EnumerateResponse>`
		}
		return `<n:PullResponse><n:EnumerationContext>uuid:C</n:EnumerationContext></n:PullResponse>`
	}
	c := newFakeClient(s)
	c.MaxPulls = 5
	_, err := c.Enumerate(context.Background(), jobURI, EnumerateOptions{})
	var re *ResponseError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "did not end after 5 pulls") {
		t.Fatalf("err = %v", err)
	}
	if len(s.requests) != 1+5+1 {
		t.Errorf("%d requests, want Enumerate + 5 Pulls + Release", len(s.requests))
	}
	last := s.requests[len(s.requests)-1]
	if textOf((tree{}).child((tree{}).child(last.Root(), NSSOAP, "Header"), NSAddressing, "Action")) != ActionRelease {
		t.Error("the abandoned context was not released")
	}
}

func TestGet(t *testing.T) {
	s := &fakeService{reply: func(req *etree.Element, action string) string { return fmt.Sprintf(jobItem, "J&amp;1") }}
	inst, err := newFakeClient(s).Get(context.Background(), jobURI, Selector{"InstanceID", "J&1"})
	if err != nil {
		t.Fatal(err)
	}
	if inst.ClassName != "Msvm_ConcreteJob" || inst.Property("InstanceID").Values[0].Text != "J&1" {
		t.Errorf("instance = %+v", inst)
	}
}

func TestNewMessageID(t *testing.T) {
	a, b := NewMessageID(), NewMessageID()
	if a == b || !strings.HasPrefix(a, "uuid:") || len(a) != len("uuid:")+36 {
		t.Errorf("message IDs %q %q", a, b)
	}
}
