package wsman

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cimjob/cimjob/cim"
)

const getResponse = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">
<s:Header><a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To><a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse</a:Action><a:MessageID>uuid:AAAA</a:MessageID><a:RelatesTo>uuid:BBBB</a:RelatesTo></s:Header>
<s:Body><p:Msvm_ConcreteJob xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/Msvm_ConcreteJob"><p:InstanceID>X</p:InstanceID></p:Msvm_ConcreteJob></s:Body></s:Envelope>`

// The same reply with other prefixes, default namespaces and a header
// nobody asked for.
const getResponseOddPrefixes = `<?xml version="1.0" encoding="utf-8"?>
<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope">
 <Header>
  <ActivityId xmlns="http://schemas.microsoft.com/2004/09/ServiceModel/Diagnostics" CorrelationId="c">a</ActivityId>
  <wsa:Action xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing">http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse</wsa:Action>
  <MessageID xmlns="http://schemas.xmlsoap.org/ws/2004/08/addressing">uuid:AAAA</MessageID>
  <x:RelatesTo xmlns:x="http://schemas.xmlsoap.org/ws/2004/08/addressing"> uuid:BBBB </x:RelatesTo>
  <RelatesTo>not addressing: must be ignored</RelatesTo>
 </Header>
 <Body><Msvm_ConcreteJob xmlns="urn:job"><InstanceID>X</InstanceID></Msvm_ConcreteJob></Body>
</Envelope>`

const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>&lol3;</s:Body></s:Envelope>`

func TestParseResponse(t *testing.T) {
	for _, doc := range []string{getResponse, getResponseOddPrefixes} {
		r, err := ParseResponse([]byte(doc), cim.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Action != ActionGet+"Response" || r.MessageID != "uuid:AAAA" || r.RelatesTo != "uuid:BBBB" {
			t.Errorf("headers = %q %q %q", r.Action, r.MessageID, r.RelatesTo)
		}
		if r.Body == nil || r.Body.Tag != "Msvm_ConcreteJob" {
			t.Errorf("body = %v", r.Body)
		}
	}
}

func TestParseResponseRejects(t *testing.T) {
	deep := strings.Repeat("<a>", 200) + strings.Repeat("</a>", 200)
	tests := []struct {
		name   string
		data   string
		lim    cim.Limits
		target error  // errors.Is target, if any
		reason string // substring of Error()
	}{
		{"empty", "", cim.Limits{}, nil, "empty reply"},
		{"whitespace", " \r\n ", cim.Limits{}, nil, "empty reply"},
		{"entity bomb", billionLaughs, cim.Limits{}, ErrDTD, "DTD"},
		{"doctype without entities", `<!DOCTYPE s:Envelope SYSTEM "http://example.com/x.dtd"><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>`, cim.Limits{}, ErrDTD, "DTD"},
		{"truncated", getResponse[:len(getResponse)/2], cim.Limits{}, nil, "malformed XML"},
		{"too large", getResponse, cim.Limits{MaxBytes: 100}, ErrBodyTooLarge, "larger than the size limit of 100 bytes"},
		{"too deep", `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>` + deep + `</s:Body></s:Envelope>`, cim.Limits{MaxDepth: 50}, nil, "deeper than 50"},
		{"soap 1.1", `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body/></e:Envelope>`, cim.Limits{}, nil, "SOAP 1.1"},
		{"html", `<html><body>Bad gateway</body></html>`, cim.Limits{}, nil, "not a SOAP envelope"},
		{"envelope by prefix only", `<s:Envelope xmlns:s="urn:other"><s:Body/></s:Envelope>`, cim.Limits{}, nil, "not a SOAP envelope"},
		{"no body", `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header/></s:Envelope>`, cim.Limits{}, nil, "no Body"},
		{"two roots", getResponse + getResponse, cim.Limits{}, nil, ""},
		{"not xml", "HTTP/1.1 200 OK", cim.Limits{}, nil, ""},
		{"undefined entity", `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>&x;</s:Body></s:Envelope>`, cim.Limits{}, nil, "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseResponse([]byte(tt.data), tt.lim)
			var re *ResponseError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v (%T), response %v; want *ResponseError", err, err, r)
			}
			if tt.target != nil && !errors.Is(err, tt.target) {
				t.Errorf("err = %v, want it to wrap %v", err, tt.target)
			}
			if !strings.Contains(err.Error(), tt.reason) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %q, want one line containing %q", err, tt.reason)
			}
		})
	}
}

func FuzzParseResponse(f *testing.F) {
	f.Add([]byte(getResponse))
	f.Add([]byte(getResponseOddPrefixes))
	f.Add([]byte(billionLaughs))
	f.Add(attrFlood(300, 20)) // over MaxAttributes
	f.Add(attrFlood(40, 20))  // under it: prefixed headers after many attributes
	files, _ := filepath.Glob("testdata/fault_*.xml")
	for _, p := range files {
		f.Add(readTestdata(f, filepath.Base(p)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseResponse(data, cim.Limits{MaxBytes: 1 << 20, MaxDepth: 64})
		var fault *Fault
		switch {
		case errors.As(err, &fault):
			if r == nil || strings.ContainsAny(fault.Error(), "\r\n") {
				t.Errorf("fault without response or multi-line: %v", fault)
			}
		case err != nil:
			if r != nil {
				t.Error("error with a response")
			}
		case r == nil:
			t.Error("nil response and nil error")
		}
	})
}
