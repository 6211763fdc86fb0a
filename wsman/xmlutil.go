package wsman

import (
	"strings"

	"github.com/beevik/etree"
	"github.com/cimjob/cimjob/cim"
)

// nsXML is the namespace bound to the reserved "xml" prefix without a
// declaration.
const nsXML = "http://www.w3.org/XML/1998/namespace"

// walk calls fn for e and every element below it, in document order.
func walk(e *etree.Element, fn func(*etree.Element)) {
	fn(e)
	for _, c := range e.ChildElements() {
		walk(c, fn)
	}
}

// tree finds elements and resolves names in one parsed reply through
// namespaces resolved once for all of it (cim.Namespaces): etree's own
// NamespaceURI scans every attribute of every ancestor at each call, which
// a hostile reply turns into quadratic time. The zero tree resolves by
// scanning ancestors, for trees that were not parsed here.
type tree struct{ ns *cim.Namespaces }

// is reports whether e is the element {ns}local.
func (t tree) is(e *etree.Element, ns, local string) bool {
	return t.ns.Is(e, ns, local)
}

// child returns the first element child of e named {ns}local, or nil.
func (t tree) child(e *etree.Element, ns, local string) *etree.Element {
	if e == nil {
		return nil
	}
	for _, c := range e.ChildElements() {
		if t.is(c, ns, local) {
			return c
		}
	}
	return nil
}

// children returns every element child of e named {ns}local.
func (t tree) children(e *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	if e == nil {
		return nil
	}
	for _, c := range e.ChildElements() {
		if t.is(c, ns, local) {
			out = append(out, c)
		}
	}
	return out
}

// firstChildElement returns e's first element child, or nil.
func firstChildElement(e *etree.Element) *etree.Element {
	if e == nil {
		return nil
	}
	for _, t := range e.Child {
		if c, ok := t.(*etree.Element); ok {
			return c
		}
	}
	return nil
}

// textOf returns the character data directly inside e (not inside its
// child elements), trimmed. CDATA sections count as text.
func textOf(e *etree.Element) string {
	if e == nil {
		return ""
	}
	var b strings.Builder
	for _, t := range e.Child {
		if cd, ok := t.(*etree.CharData); ok {
			b.WriteString(cd.Data)
		}
	}
	return strings.TrimSpace(b.String())
}

// attrNS returns the value of the attribute {ns}local on e, resolving its
// prefix through the in-scope declarations.
func (t tree) attrNS(e *etree.Element, ns, local string) (string, bool) {
	return t.ns.Attr(e, ns, local)
}

// attrPlain returns the value of the unprefixed attribute name on e.
func attrPlain(e *etree.Element, name string) (string, bool) {
	for _, a := range e.Attr {
		if a.Space == "" && a.Key == name {
			return a.Value, true
		}
	}
	return "", false
}

// resolveQName resolves the QName text of e (as in s:Value) through the
// declarations in scope at e. An unprefixed name takes the default
// namespace; a prefix nobody declared leaves Space empty and keeps the raw
// text as Local, so nothing is lost.
func (t tree) resolveQName(e *etree.Element, text string) QName {
	text = strings.TrimSpace(text)
	prefix, local, ok := strings.Cut(text, ":")
	if !ok {
		uri, _ := t.ns.Lookup(e, "")
		return QName{Space: uri, Local: text}
	}
	uri, _ := t.ns.Lookup(e, prefix)
	if uri == "" {
		return QName{Local: text}
	}
	return QName{Space: uri, Local: local}
}

// oneLine folds whitespace runs (Windows messages end in CRLF and padding)
// into single spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
