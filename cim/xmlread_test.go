package cim

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckXML(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		lim   Limits
		cause error // nil with ok false: any *DecodeError
		ok    bool
	}{
		{name: "envelope", in: "\xef\xbb\xbf<s:Envelope xmlns:s=\"urn:s\"><s:Body><a>1</a></s:Body></s:Envelope>", ok: true},
		{name: "exactly MaxElements", in: "<r>" + strings.Repeat("<b/>", 9) + "</r>", lim: Limits{MaxElements: 10}, ok: true},
		{name: "one element over", in: "<r>" + strings.Repeat("<b/>", 10) + "</r>", lim: Limits{MaxElements: 10}, cause: ErrTooMany},
		{name: "default MaxElements", in: "<r>" + strings.Repeat("<b/>", DefaultLimits.MaxElements) + "</r>", cause: ErrTooMany},
		{name: "too deep", in: strings.Repeat("<a>", 5) + strings.Repeat("</a>", 5), lim: Limits{MaxDepth: 4}, cause: ErrTooDeep},
		{name: "too large", in: "<r>" + strings.Repeat("x", 100) + "</r>", lim: Limits{MaxBytes: 50}, cause: ErrTooLarge},
		{name: "DTD", in: `<!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>`, cause: ErrDTD},
		{name: "truncated", in: `<r><a>`},
		{name: "empty", in: ``},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckXML([]byte(tc.in), tc.lim)
			if tc.ok {
				if err != nil {
					t.Fatalf("CheckXML: %v", err)
				}
				return
			}
			var de *DecodeError
			if !errors.As(err, &de) || de.Format != FormatXML {
				t.Fatalf("got %v, want an XML *DecodeError", err)
			}
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Errorf("error %v does not wrap %v", err, tc.cause)
			}
		})
	}
}

// FuzzCheckXML checks that whatever CheckXML accepts etree can parse, and
// that every refusal is a *DecodeError.
func FuzzCheckXML(f *testing.F) {
	f.Add([]byte(`<s:Envelope xmlns:s="urn:s"><s:Body><a>1</a></s:Body></s:Envelope>`))
	f.Add([]byte(`<!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>`))
	f.Add([]byte("<r>" + strings.Repeat("<b/>", 40) + "</r>"))
	f.Add([]byte(attrFlood(40, 8))) // over MaxAttributes
	f.Add([]byte(attrFlood(10, 8)))
	f.Add([]byte(`<r xmlns:p="urn:a"><p:a xmlns:p="urn:b" xmlns="urn:d"><b xmlns=""/><q:c/></p:a></r>`))
	lim := Limits{MaxBytes: 64 << 10, MaxDepth: 16, MaxElements: 32, MaxAttributes: 16, MaxTotalAttributes: 64}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := CheckXML(data, lim)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *DecodeError", err)
			}
			return
		}
		if _, err := readDocument(data, &budget{lim: lim.WithDefaults()}, FormatXML); err != nil {
			t.Fatalf("CheckXML accepted what readDocument refuses: %v", err)
		}
	})
}
