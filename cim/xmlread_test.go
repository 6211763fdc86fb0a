package cim

import (
	"bytes"
	"context"
	"encoding/xml"
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

// FuzzCheckXML checks that whatever CheckXML accepts etree can parse, that
// every refusal is a *DecodeError, and that the byte-level attribute count
// never refuses a document the token pass alone accepts.
func FuzzCheckXML(f *testing.F) {
	f.Add([]byte(`<s:Envelope xmlns:s="urn:s"><s:Body><a>1</a></s:Body></s:Envelope>`))
	f.Add([]byte(`<!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>`))
	f.Add([]byte("<r>" + strings.Repeat("<b/>", 40) + "</r>"))
	f.Add([]byte(attrFlood(40, 8))) // over MaxAttributes
	f.Add([]byte(attrFlood(10, 8)))
	f.Add([]byte(`<r xmlns:p="urn:a"><p:a xmlns:p="urn:b" xmlns="urn:d"><b xmlns=""/><q:c/></p:a></r>`))
	f.Add([]byte(`<?xml version="1.0"?><r a='x=">y' b="1"><!-- c=d e=f --><![CDATA[<z g="h"/>]]><?pi x="y"?></r>`))
	f.Add([]byte(`<!--><![CDATA[--><r a="1" b="2" c="3" z="]]>"/>`))
	lim := Limits{MaxBytes: 64 << 10, MaxDepth: 16, MaxElements: 32, MaxAttributes: 16, MaxTotalAttributes: 64}
	f.Fuzz(func(t *testing.T, data []byte) {
		full := lim.WithDefaults()
		tokenErr := prescan(context.Background(), data, &budget{lim: full}, FormatXML, charsetReader(data))
		byteErr := countAttributes(data, &budget{lim: full}, FormatXML)
		var le *LimitError
		switch {
		case tokenErr == nil && byteErr != nil:
			t.Fatalf("byte count refused what the token pass accepts: %v", byteErr)
		case errors.As(tokenErr, &le) && byteErr == nil:
			// The byte count exists to refuse a flood before the
			// decoder pays for it; one it lets through is a desync.
			t.Fatalf("the token pass refused %v, the byte count let it through", tokenErr)
		}
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

// TestCountAttributesMatchesDecoder: on well-formed documents the byte
// count agrees with encoding/xml's, whatever quotes, comments, CDATA and
// processing instructions hold, so it refuses exactly what the token pass
// would, only sooner.
func TestCountAttributesMatchesDecoder(t *testing.T) {
	docs := []string{
		`<r/>`,
		`<r a="1" b='2'><c d="x=y" e='p"q'/></r>`,
		`<r a="&gt;=&lt;"><!-- <x y="z"> = = --></r>`,
		`<r><![CDATA[<x a="1" b="2" c="3">]]></r>`,
		`<?xml version="1.0" encoding="utf-8"?><?pi a="1" b="2"?><r xmlns:p="urn:p" p:a = "1"/>`,
		"<r\n a\t=\n'1'\n/>",
		`<r a=">" b='>'>text = not an attribute</r>`,
	}
	for _, doc := range docs {
		want := 0
		dec := xml.NewDecoder(bytes.NewReader([]byte(doc)))
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			if se, ok := tok.(xml.StartElement); ok {
				want += len(se.Attr)
			}
		}
		lim := DefaultLimits.WithDefaults()
		lim.MaxTotalAttributes = want
		if err := countAttributes([]byte(doc), &budget{lim: lim}, FormatXML); err != nil {
			t.Errorf("%s: refused at exactly its %d attributes: %v", doc, want, err)
		}
		if want == 0 {
			continue
		}
		lim.MaxTotalAttributes = want - 1
		if err := countAttributes([]byte(doc), &budget{lim: lim}, FormatXML); err == nil {
			t.Errorf("%s: accepted %d attributes with a limit of %d", doc, want, want-1)
		}
	}
	if err := CheckXMLContext(context.Background(), []byte(attrFlood(300, 1)), Limits{}); !errors.Is(err, ErrTooMany) {
		t.Errorf("a 300-attribute element: %v, want a MaxAttributes refusal", err)
	}
}

// TestCountAttributesOpenersDoNotClose: "<!-->" and "<!--->" open a
// comment for encoding/xml; a byte scan that read them as closed could be
// steered past a flood (here by a "<![CDATA[" in the real comment and a
// "]]>" in the flood's last attribute value).
func TestCountAttributesOpenersDoNotClose(t *testing.T) {
	lim := DefaultLimits.WithDefaults()
	for _, opener := range []string{"<!-->", "<!--->"} {
		flood := attrFlood(2*lim.MaxAttributes, 1)
		flood = strings.Replace(flood, ">", ` z="]]>">`, 1)
		data := []byte(opener + "<![CDATA[-->" + flood)
		var le *LimitError
		if err := countAttributes(data, &budget{lim: lim}, FormatXML); !errors.As(err, &le) {
			t.Errorf("%s: countAttributes = %v, want a *LimitError before encoding/xml builds the tag", opener, err)
		}
	}
}
