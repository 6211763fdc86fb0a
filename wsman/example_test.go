package wsman_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/cimjob/cimjob/wsman"
)

const exampleJobURI = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/Msvm_ConcreteJob"

// exampleServer stands in for a Windows host: it answers GetError on job
// "J1" with a CIM-XML error string, Identify with its identity, and any
// other job with the InvalidSelectors fault Windows sends for a job that
// no longer exists.
func exampleServer() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(data); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		var id, selector, op, action string
		for _, e := range doc.FindElements("//*") {
			switch {
			case e.Tag == "Action" && e.NamespaceURI() == "http://schemas.xmlsoap.org/ws/2004/08/addressing":
				action = e.Text()
			case e.Tag == "MessageID" && e.NamespaceURI() == "http://schemas.xmlsoap.org/ws/2004/08/addressing":
				id = e.Text()
			case e.Tag == "Selector" && e.NamespaceURI() == wsman.NSWSMan:
				selector = e.Text()
			case e.Tag == "Body" && e.NamespaceURI() == wsman.NSSOAP && len(e.ChildElements()) > 0:
				op = e.ChildElements()[0].NamespaceURI() + " " + e.ChildElements()[0].Tag
			}
		}
		w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
		head := `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"><s:Header><a:RelatesTo>` + id + `</a:RelatesTo></s:Header><s:Body>`
		tail := `</s:Body></s:Envelope>`
		switch {
		case op == wsman.NSIdentity+" Identify":
			io.WriteString(w, head+`<wsmid:IdentifyResponse xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><wsmid:ProtocolVersion>http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd</wsmid:ProtocolVersion><wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor><wsmid:ProductVersion>OS: 10.0.20348 SP: 0.0 Stack: 3.0</wsmid:ProductVersion></wsmid:IdentifyResponse>`+tail)
		case op == wsman.NSEnumeration+" Enumerate":
			item := `<p:Msvm_ConcreteJob xmlns:p="` + exampleJobURI + `"><p:InstanceID>%s</p:InstanceID><p:JobState>%d</p:JobState></p:Msvm_ConcreteJob>`
			io.WriteString(w, head+`<n:EnumerateResponse xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><n:EnumerationContext/><w:Items>`+
				fmt.Sprintf(item, "J1", 10)+fmt.Sprintf(item, "J2", 7)+`</w:Items><w:EndOfSequence/></n:EnumerateResponse>`+tail)
		case action == wsman.ActionGet && selector == "J1":
			io.WriteString(w, head+`<p:Msvm_ConcreteJob xmlns:p="`+exampleJobURI+`"><p:InstanceID>J1</p:InstanceID><p:JobState>10</p:JobState><p:ErrorDescription>Disk full</p:ErrorDescription></p:Msvm_ConcreteJob>`+tail)
		case selector == "J1":
			io.WriteString(w, head+`<p:GetError_OUTPUT xmlns:p="`+exampleJobURI+`"><p:Error>&lt;INSTANCE CLASSNAME="Msvm_Error"&gt;&lt;PROPERTY NAME="Message" TYPE="string"&gt;&lt;VALUE&gt;Disk full&lt;/VALUE&gt;&lt;/PROPERTY&gt;&lt;/INSTANCE&gt;</p:Error><p:ReturnValue>0</p:ReturnValue></p:GetError_OUTPUT>`+tail)
		default:
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, head+`<s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">w:InvalidSelectors</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">The WS-Management service cannot process the request because the request contained invalid selectors for the resource. </s:Text></s:Reason><s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="2150858843" Machine="HV01"><f:Message>The WS-Management service cannot process the request because the request contained invalid selectors for the resource. </f:Message></f:WSManFault></s:Detail></s:Fault>`+tail)
		}
	}))
}

// exampleClient is a Client of the example server, as NewClient's
// example makes one for a real host.
func exampleClient(url string) *wsman.Client {
	c, err := wsman.NewClient(wsman.Config{URL: url})
	if err != nil {
		panic(err)
	}
	return c
}

// A Client for a Windows host with NTLM, what a host accepts as installed:
// over plain HTTP every message is sealed; over HTTPS the handshake is
// bound to the server's certificate. The other settings have the defaults
// the cimjob CLI uses.
func ExampleNewClient() {
	c, err := wsman.NewClient(wsman.Config{
		URL:  "http://hv01.example.com:5985/wsman",
		Auth: wsman.NTLMAuth{Username: `CORP\operator`, Password: "secret"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close() // NTLM and Kerberos keep authenticated connections
	fmt.Println(c.URL(), c.Limits().MaxBytes)
	// Output: http://hv01.example.com:5985/wsman 8388608
}

// Basic authentication sends the password readable by anyone on the path
// of plain HTTP: NewClient refuses it unless told otherwise.
func ExampleNewClient_unencrypted() {
	_, err := wsman.NewClient(wsman.Config{
		URL:  "http://hv01.example.com:5985/wsman",
		Auth: wsman.BasicAuth{Username: "Administrator", Password: "secret"},
	})
	fmt.Println(errors.Is(err, wsman.ErrUnencrypted))
	// Output: true
}

func ExampleClient_Get() {
	srv := exampleServer()
	defer srv.Close()
	c := exampleClient(srv.URL + "/wsman")
	defer c.Close()

	job, err := c.Get(context.Background(), exampleJobURI, wsman.Selector{Name: "InstanceID", Value: "J1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	state, _ := job.Property("JobState").Uint()
	desc, _ := job.Property("ErrorDescription").Text()
	fmt.Println(job.ClassName, state, desc)
	// Output: Msvm_ConcreteJob 10 Disk full
}

func ExampleClient_Invoke() {
	srv := exampleServer()
	defer srv.Close()
	c := exampleClient(srv.URL + "/wsman")
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := c.Invoke(ctx, exampleJobURI, "GetError",
		[]wsman.Selector{{Name: "InstanceID", Value: "J1"}}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	rv, err := out.ReturnValue()
	fmt.Println("ReturnValue:", rv, err)
	for _, e := range out.Params("Error") {
		fmt.Println("Error:", e.Text())
	}
	// Output:
	// ReturnValue: 0 <nil>
	// Error: <INSTANCE CLASSNAME="Msvm_Error"><PROPERTY NAME="Message" TYPE="string"><VALUE>Disk full</VALUE></PROPERTY></INSTANCE>
}

func ExampleClient_Identify() {
	srv := exampleServer()
	defer srv.Close()
	id, err := exampleClient(srv.URL + "/wsman").Identify(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(id.ProductVendor, "-", id.ProductVersion)
	// Output: Microsoft Corporation - OS: 10.0.20348 SP: 0.0 Stack: 3.0
}

// A job that no longer exists answers with a w:InvalidSelectors fault; it
// arrives as a typed *Fault whatever the HTTP status that carried it, and
// errors.Is tells its kind.
func ExampleFault() {
	srv := exampleServer()
	defer srv.Close()
	_, err := exampleClient(srv.URL+"/wsman").Invoke(context.Background(), exampleJobURI, "GetError",
		[]wsman.Selector{{Name: "InstanceID", Value: "gone"}}, nil)
	var f *wsman.Fault
	if errors.As(err, &f) {
		fmt.Println(f.Subcode.Local, f.WSManCode(), f.HTTPStatus)
		fmt.Println(errors.Is(err, wsman.ErrNotFound), errors.Is(err, wsman.ErrAccessDenied))
		fmt.Println(err)
	}
	// Output:
	// InvalidSelectors 2150858843 500
	// true false
	// wsman fault w:InvalidSelectors (2150858843) from HV01: The WS-Management service cannot process the request because the request contained invalid selectors for the resource.
}

func ExampleClient_Enumerate() {
	srv := exampleServer()
	defer srv.Close()
	jobs, err := exampleClient(srv.URL+"/wsman").Enumerate(context.Background(),
		wsman.WMIResourceURI(`root\virtualization\v2`, "*"),
		wsman.EnumerateOptions{Filter: "SELECT * FROM Msvm_ConcreteJob", Optimize: true, MaxElements: 100})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, j := range jobs {
		id, _ := j.Property("InstanceID").Text()
		state, _ := j.Property("JobState").Uint()
		fmt.Println(j.ClassName, id, state)
	}
	// Output:
	// Msvm_ConcreteJob J1 10
	// Msvm_ConcreteJob J2 7
}

// The seam: a Transport of your own (a test double, a recorder, an
// in-process service) goes in Config.Transport.
func ExampleTransport() {
	c, err := wsman.NewClient(wsman.Config{URL: "http://hv01:5985/wsman", Transport: cannedTransport{}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	_, err = c.Get(context.Background(), exampleJobURI, wsman.Selector{Name: "InstanceID", Value: "J9"})
	fmt.Println(errors.Is(err, wsman.ErrNotFound))
	// Output: true
}

// cannedTransport answers every request with the fault Windows sends for
// an instance that is not there.
type cannedTransport struct{}

func (cannedTransport) RoundTrip(context.Context, []byte) (*wsman.Reply, error) {
	return &wsman.Reply{Status: 500, Body: []byte(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">w:InvalidSelectors</s:Value></s:Subcode></s:Code></s:Fault></s:Body></s:Envelope>`)}, nil
}

func (cannedTransport) Close() error { return nil }

func ExampleRequest_Envelope() {
	req := wsman.NewGet(exampleJobURI, wsman.Selector{Name: "InstanceID", Value: `a&b"c`})
	env, err := req.Envelope(wsman.Headers{To: "http://hv01:5985/wsman", MessageID: "uuid:1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	i := strings.Index(string(env), "<w:SelectorSet>")
	j := strings.Index(string(env), "</w:SelectorSet>")
	fmt.Println(string(env[i : j+len("</w:SelectorSet>")]))
	// Output: <w:SelectorSet><w:Selector Name="InstanceID">a&amp;b"c</w:Selector></w:SelectorSet>
}
