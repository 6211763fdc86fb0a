package wsman

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cimjob/cimjob/cim"
)

// A reply of many small elements is refused before a tree is built: it
// would cost many times its size in memory.
func TestParseResponseBoundsElementCount(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><x>`)
	for i := 0; i < 70000; i++ {
		b.WriteString("<b/>")
	}
	b.WriteString(`</x></s:Body></s:Envelope>`)
	_, err := ParseResponse(b.Bytes(), cim.Limits{})
	var re *ResponseError
	if !errors.As(err, &re) || !errors.Is(err, cim.ErrTooMany) {
		t.Fatalf("err = %v, want a *ResponseError wrapping cim.ErrTooMany", err)
	}
	// The same reply passes when the caller allows more elements.
	if _, err := ParseResponse(b.Bytes(), cim.Limits{MaxElements: 100000}); err != nil {
		t.Fatalf("with a larger limit: %v", err)
	}
}

// floodDecls declares the header prefixes of attrFlood.
const floodDecls = ` xmlns:h="urn:decoy" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"`

// attrFlood is the reply of issue 6, scaled: an Envelope with attrs
// attributes and the declarations of the header prefixes last, then kids
// decoy <h:RelatesTo/> headers in another namespace before the real one.
// Finding wsa:RelatesTo resolves every decoy; a lookup that scans the
// attributes of every ancestor makes that quadratic.
func attrFlood(attrs, kids int) []byte {
	var b bytes.Buffer
	b.WriteString(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"`)
	for i := range attrs {
		fmt.Fprintf(&b, ` a%x=""`, i)
	}
	b.WriteString(floodDecls + `><s:Header>`)
	for range kids {
		b.WriteString(`<h:RelatesTo/>`)
	}
	b.WriteString(`<a:RelatesTo>uuid:1</a:RelatesTo></s:Header><s:Body/></s:Envelope>`)
	return b.Bytes()
}

// The flood of issue 6 (~4 MB, under the 8 MiB cap) is refused by the
// attribute limit, which the error names.
func TestParseResponseBoundsAttributes(t *testing.T) {
	data := attrFlood(350_000, 65_000)
	_, err := ParseResponse(data, cim.Limits{MaxBytes: DefaultMaxBodySize})
	var re *ResponseError
	var le *cim.LimitError
	if !errors.As(err, &re) || !errors.As(err, &le) || le.Limit != "MaxAttributes" {
		t.Fatalf("err = %v, want a *ResponseError wrapping a *cim.LimitError for MaxAttributes", err)
	}
	if !strings.Contains(err.Error(), "MaxAttributes") {
		t.Errorf("error %q does not name the limit", err)
	}
	// Under the limits the same shape parses, and the header after the
	// flood is found by its namespace.
	resp, err := ParseResponse(attrFlood(200, 1000), cim.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if resp.RelatesTo != "uuid:1" {
		t.Errorf("RelatesTo %q", resp.RelatesTo)
	}
}

// A reply parsed after its context ended stops with the context's error.
func TestParseResponseHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := parseResponse(ctx, attrFlood(10, 10), cim.Limits{})
	var re *ResponseError
	if !errors.As(err, &re) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want a *ResponseError wrapping context.Canceled", err)
	}
}

// BenchmarkParseAttrFlood parses the largest flood the default limits let
// through (MaxAttributes on the Envelope, MaxElements headers in a prefix
// declared last) against two replies of the same size, measured in the
// same run: the same document with the prefix declared first (same bytes,
// elements and attributes: "flood/control"), and a Windows-like reply of
// larger elements ("flood/normal", which differs by element density
// alone). With namespaces resolved once flood/control stays near 1; a
// lookup that scans every ancestor's attributes makes it grow with the
// attribute count.
func BenchmarkParseAttrFlood(b *testing.B) {
	lim := cim.Limits{MaxBytes: DefaultMaxBodySize}.WithDefaults()
	flood := attrFlood(lim.MaxAttributes-3, lim.MaxElements-8)
	control := bytes.Replace(flood, []byte(floodDecls), nil, 1)
	control = bytes.Replace(control, []byte(`soap-envelope"`), []byte(`soap-envelope"`+floodDecls), 1)
	var normal bytes.Buffer
	normal.WriteString(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"><s:Header><a:RelatesTo>uuid:1</a:RelatesTo></s:Header><s:Body><p:X xmlns:p="urn:p">`)
	for normal.Len() < len(flood)-40 {
		normal.WriteString(`<p:Name>Virtual machine</p:Name>`)
	}
	normal.WriteString(`</p:X></s:Body></s:Envelope>`)
	parse := func(data []byte) time.Duration {
		start := time.Now()
		if _, err := ParseResponse(data, lim); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	var tFlood, tControl, tNormal time.Duration
	for b.Loop() {
		tFlood += parse(flood)
		tControl += parse(control)
		tNormal += parse(normal.Bytes())
	}
	b.ReportMetric(float64(tFlood)/float64(tControl), "flood/control")
	b.ReportMetric(float64(tFlood)/float64(tNormal), "flood/normal")
	b.ReportMetric(float64(len(flood)), "bytes")
}
