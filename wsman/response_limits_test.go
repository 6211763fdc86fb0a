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

// BenchmarkParseAttrFlood times ParseResponse on floods against replies
// of the same size, in the same run, and reports the ratio:
//
//   - issue6: the ~4 MB flood of issue 6 (350k attributes, 65k decoy
//     headers), which the limits refuse, against a Windows-like reply
//     of the same size ("flood/normal"; below 1 when the flood is
//     refused early, thousands when every lookup scans the attributes);
//   - accepted: the largest flood the default limits let through against
//     the same bytes with the header prefixes declared first
//     ("flood/control"; near 1 when namespaces are resolved once).
func BenchmarkParseAttrFlood(b *testing.B) {
	lim := cim.Limits{MaxBytes: DefaultMaxBodySize}.WithDefaults()
	ratio := func(b *testing.B, flood, other []byte, unit string) {
		parse := func(data []byte) time.Duration {
			start := time.Now()
			// The issue-6 flood is refused; the time to the refusal is
			// what counts.
			_, _ = ParseResponse(data, lim)
			return time.Since(start)
		}
		// One untimed round grows the heap for both; the order alternates
		// so that neither pays for the other's garbage more often.
		parse(flood)
		parse(other)
		var tFlood, tOther time.Duration
		for i := 0; b.Loop(); i++ {
			if i%2 == 0 {
				tFlood += parse(flood)
				tOther += parse(other)
			} else {
				tOther += parse(other)
				tFlood += parse(flood)
			}
		}
		b.ReportMetric(float64(tFlood)/float64(tOther), unit)
		b.ReportMetric(float64(len(flood)), "bytes")
	}
	b.Run("issue6", func(b *testing.B) {
		flood := attrFlood(350_000, 65_000)
		ratio(b, flood, normalReply(len(flood)), "flood/normal")
	})
	b.Run("accepted", func(b *testing.B) {
		flood := attrFlood(lim.MaxAttributes-3, lim.MaxElements-8)
		control := bytes.Replace(flood, []byte(floodDecls), nil, 1)
		control = bytes.Replace(control, []byte(`soap-envelope"`), []byte(`soap-envelope"`+floodDecls), 1)
		ratio(b, flood, control, "flood/control")
	})
}

// normalReply is a Windows-like reply of about size bytes.
func normalReply(size int) []byte {
	var b bytes.Buffer
	b.WriteString(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"><s:Header><a:RelatesTo>uuid:1</a:RelatesTo></s:Header><s:Body><p:X xmlns:p="urn:p">`)
	for b.Len() < size-40 {
		b.WriteString(`<p:Name>Virtual machine</p:Name>`)
	}
	b.WriteString(`</p:X></s:Body></s:Envelope>`)
	return b.Bytes()
}
