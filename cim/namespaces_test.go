package cim

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

// attrFlood is the shape of the hostile reply of issue 6, scaled: a root
// with attrs attributes, then the declaration of the prefix its kids
// children use.
func attrFlood(attrs, kids int) string {
	var b strings.Builder
	b.WriteString(`<s:Envelope xmlns:s="urn:s"`)
	for i := range attrs {
		fmt.Fprintf(&b, ` a%x=""`, i)
	}
	b.WriteString(` xmlns:h="urn:h"><s:Header>`)
	for range kids {
		b.WriteString(`<h:x/>`)
	}
	b.WriteString(`</s:Header></s:Envelope>`)
	return b.String()
}

func TestCheckXMLAttributeLimits(t *testing.T) {
	many := func(n int) string {
		var b strings.Builder
		b.WriteString("<r")
		for i := range n {
			fmt.Fprintf(&b, ` a%d="1"`, i)
		}
		b.WriteString("/>")
		return b.String()
	}
	spread := "<r>" + strings.Repeat(`<e a="1" b="2" c="3"/>`, 100) + "</r>"
	tests := []struct {
		name  string
		in    string
		lim   Limits
		limit string // "" for accepted
	}{
		{name: "at MaxAttributes", in: many(8), lim: Limits{MaxAttributes: 8}},
		{name: "over MaxAttributes", in: many(9), lim: Limits{MaxAttributes: 8}, limit: "MaxAttributes"},
		{name: "declarations count", in: attrFlood(8, 1), lim: Limits{MaxAttributes: 8}, limit: "MaxAttributes"},
		{name: "default MaxAttributes", in: attrFlood(DefaultLimits.MaxAttributes, 1), limit: "MaxAttributes"},
		{name: "issue 6 flood", in: attrFlood(350_000, 10), lim: Limits{MaxBytes: 8 << 20}, limit: "MaxAttributes"},
		{name: "at MaxTotalAttributes", in: spread, lim: Limits{MaxTotalAttributes: 300}},
		{name: "over MaxTotalAttributes", in: spread, lim: Limits{MaxTotalAttributes: 299}, limit: "MaxTotalAttributes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckXML([]byte(tc.in), tc.lim)
			if tc.limit == "" {
				if err != nil {
					t.Fatalf("CheckXML: %v", err)
				}
				return
			}
			var le *LimitError
			var de *DecodeError
			if !errors.As(err, &le) || !errors.As(err, &de) {
				t.Fatalf("got %v, want a *DecodeError wrapping a *LimitError", err)
			}
			if le.Limit != tc.limit || !strings.Contains(err.Error(), tc.limit) || !errors.Is(err, ErrTooMany) {
				t.Errorf("error %q: limit %q, want %q and ErrTooMany", err, le.Limit, tc.limit)
			}
		})
	}
}

// The total counts across a document and the CIM-XML embedded in it.
func TestEmbeddedAttributesShareTheBudget(t *testing.T) {
	inner := `<INSTANCE CLASSNAME="X">` + strings.Repeat(`<PROPERTY NAME="P" TYPE="string"/>`, 20) + `</INSTANCE>`
	outer := `<INSTANCE CLASSNAME="Y"><PROPERTY NAME="E" TYPE="string" EmbeddedObject="object"><VALUE>` +
		strings.NewReplacer("<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(inner) + `</VALUE></PROPERTY></INSTANCE>`
	if _, err := ParseCIMXML([]byte(outer), Limits{MaxTotalAttributes: 45}); err != nil {
		t.Fatalf("within the budget: %v", err)
	}
	_, err := ParseCIMXML([]byte(outer), Limits{MaxTotalAttributes: 44})
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "MaxTotalAttributes" {
		t.Fatalf("got %v, want MaxTotalAttributes", err)
	}
}

func TestCheckXMLContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := CheckXMLContext(ctx, []byte(attrFlood(10, 10)), Limits{})
	var de *DecodeError
	if !errors.As(err, &de) || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want a *DecodeError wrapping context.Canceled", err)
	}
}

func TestResolveNamespaces(t *testing.T) {
	const doc = `<r xmlns="urn:default" xmlns:p="urn:p1" xmlns:x="urn:x">
  <a/>
  <p:b/>
  <c xmlns:p="urn:p2"><p:d/><e xmlns=""><f/><p:g/></e></c>
  <q:h/>
  <x:i xmlns:x="urn:x2" xml:lang="de" x:attr="v" p:attr="w" plain="z"/>
</r>`
	d := etree.NewDocument()
	if err := d.ReadFromString(doc); err != nil {
		t.Fatal(err)
	}
	ns := ResolveNamespaces(d.Root())
	byTag := map[string]*etree.Element{}
	for _, e := range d.Root().FindElements("//*") {
		byTag[e.Tag] = e
	}
	byTag["r"] = d.Root()
	for tag, want := range map[string]string{
		"r": "urn:default", "a": "urn:default", "b": "urn:p1", "c": "urn:default",
		"d": "urn:p2", "e": "", "f": "", "g": "urn:p2", "h": "", "i": "urn:x2",
	} {
		if got := ns.URI(byTag[tag]); got != want {
			t.Errorf("%s: URI %q, want %q", tag, got, want)
		}
		// The fallback for a nil *Namespaces gives the same answers.
		if got := (*Namespaces)(nil).URI(byTag[tag]); got != want {
			t.Errorf("%s: fallback URI %q, want %q", tag, got, want)
		}
	}
	for _, tc := range []struct {
		tag, prefix, want string
		bound             bool
	}{
		{"f", "", "", true}, {"f", "p", "urn:p2", true}, {"a", "p", "urn:p1", true},
		{"a", "q", "", false}, {"a", "xml", nsXML, true},
	} {
		got, bound := ns.Lookup(byTag[tc.tag], tc.prefix)
		if got != tc.want || bound != tc.bound {
			t.Errorf("Lookup(%s, %q) = %q, %v; want %q, %v", tc.tag, tc.prefix, got, bound, tc.want, tc.bound)
		}
	}
	i := byTag["i"]
	for _, tc := range []struct{ ns, local, want string }{
		{"urn:x2", "attr", "v"}, {"urn:p1", "attr", "w"}, {nsXML, "lang", "de"}, {"urn:x", "attr", ""},
	} {
		if got, _ := ns.Attr(i, tc.ns, tc.local); got != tc.want {
			t.Errorf("Attr({%s}%s) = %q, want %q", tc.ns, tc.local, got, tc.want)
		}
	}
	// A subtree resolved on its own still sees its ancestors' declarations.
	sub := ResolveNamespaces(byTag["e"])
	if got := sub.URI(byTag["g"]); got != "urn:p2" {
		t.Errorf("subtree: URI(g) = %q, want urn:p2", got)
	}
}

// Resolving the issue-6 shape costs steps in proportion to its size: the
// count for twice the declarations and children is about twice the count,
// where scanning ancestors at each lookup makes it four times.
func TestResolveNamespacesLinear(t *testing.T) {
	steps := func(n int) int {
		d := etree.NewDocument()
		if err := d.ReadFromString(attrFlood(n, n)); err != nil {
			t.Fatal(err)
		}
		ns := ResolveNamespaces(d.Root())
		for _, e := range d.Root().FindElements("//*") {
			ns.URI(e)
			ns.IsNil(e)
			ns.Lookup(e, "h")
		}
		return ns.Steps()
	}
	small, large := steps(2000), steps(4000)
	if large > small*21/10 {
		t.Errorf("%d steps for n=2000, %d for n=4000: not linear", small, large)
	}
	if small > 10*2000 {
		t.Errorf("%d steps for 2000 declarations and 2000 elements", small)
	}
}

// Decoding through the decoders' own entry points stays linear too: a
// WS-CIM instance whose properties use a prefix declared last on an
// ancestor with many declarations.
func TestParseWSCIMLinear(t *testing.T) {
	steps := func(n int) int {
		var b strings.Builder
		b.WriteString(`<w xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"`)
		for i := range n {
			fmt.Fprintf(&b, ` xmlns:n%d="urn:n%d"`, i, i)
		}
		b.WriteString(` xmlns:p="urn:c/X"><p:X>`)
		for i := range n {
			fmt.Fprintf(&b, `<p:P%d xsi:nil="true"/>`, i)
		}
		b.WriteString(`</p:X></w>`)
		d := etree.NewDocument()
		if err := d.ReadFromString(b.String()); err != nil {
			t.Fatal(err)
		}
		el := d.Root().ChildElements()[0]
		ns := ResolveNamespaces(d.Root())
		inst, err := ParseWSCIMWith(el, ns, Limits{MaxProperties: 1 << 20})
		if err != nil || len(inst.Properties) != n {
			t.Fatalf("ParseWSCIMWith: %v", err)
		}
		return ns.Steps()
	}
	small, large := steps(1000), steps(2000)
	if large > small*21/10 {
		t.Errorf("%d steps for n=1000, %d for n=2000: not linear", small, large)
	}
}

// FuzzResolveNamespaces checks the index against the ancestor scan it
// replaces: both give every element the same URI and every prefix the
// same binding.
func FuzzResolveNamespaces(f *testing.F) {
	f.Add(`<r xmlns="urn:d" xmlns:p="urn:p"><p:a xmlns:p="urn:q"><b xmlns=""/><q:c/></p:a><p:d/></r>`)
	f.Add(attrFlood(20, 5))
	f.Add(`<x:r xmlns:x="urn:x" xmlns:x="urn:y"><x:a xml:lang="en"/></x:r>`)
	f.Fuzz(func(t *testing.T, s string) {
		if CheckXML([]byte(s), Limits{MaxBytes: 64 << 10}) != nil {
			return
		}
		d := etree.NewDocument()
		if d.ReadFromString(s) != nil || d.Root() == nil {
			return
		}
		ns := ResolveNamespaces(d.Root())
		var scan *Namespaces
		for _, e := range append([]*etree.Element{d.Root()}, d.Root().FindElements("//*")...) {
			if got, want := ns.URI(e), scan.URI(e); got != want {
				t.Fatalf("<%s>: URI %q, ancestor scan %q", e.FullTag(), got, want)
			}
			// etree's own answer, except for the xml prefix it does not know.
			if got, want := ns.URI(e), e.NamespaceURI(); e.Space != "xml" && got != want {
				t.Fatalf("<%s>: URI %q, etree %q", e.FullTag(), got, want)
			}
			for _, a := range e.Attr {
				if a.Space == "" || a.Space == "xmlns" {
					continue
				}
				got, gb := ns.Lookup(e, a.Space)
				want, wb := scan.Lookup(e, a.Space)
				if got != want || gb != wb {
					t.Fatalf("<%s> prefix %q: %q %v, ancestor scan %q %v", e.FullTag(), a.Space, got, gb, want, wb)
				}
			}
		}
	})
}
