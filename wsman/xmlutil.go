package wsman

import (
	"strings"

	"github.com/beevik/etree"
)

// nsXML is the namespace bound to the reserved "xml" prefix; etree does not
// resolve it because nobody declares it.
const nsXML = "http://www.w3.org/XML/1998/namespace"

// walk calls fn for e and every element below it, in document order.
func walk(e *etree.Element, fn func(*etree.Element)) {
	fn(e)
	for _, c := range e.ChildElements() {
		walk(c, fn)
	}
}

// is reports whether e is the element {ns}local.
func is(e *etree.Element, ns, local string) bool {
	return e != nil && e.Tag == local && e.NamespaceURI() == ns
}

// child returns the first element child of e named {ns}local, or nil.
func child(e *etree.Element, ns, local string) *etree.Element {
	if e == nil {
		return nil
	}
	for _, c := range e.ChildElements() {
		if is(c, ns, local) {
			return c
		}
	}
	return nil
}

// children returns every element child of e named {ns}local.
func children(e *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	if e == nil {
		return nil
	}
	for _, c := range e.ChildElements() {
		if is(c, ns, local) {
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
func attrNS(e *etree.Element, ns, local string) (string, bool) {
	for i := range e.Attr {
		a := &e.Attr[i]
		if a.Key != local || a.Space == "" || a.Space == "xmlns" {
			continue
		}
		uri := nsXML
		if a.Space != "xml" {
			uri = lookupPrefix(e, a.Space)
		}
		if uri == ns {
			return a.Value, true
		}
	}
	return "", false
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

// lookupPrefix resolves prefix ("" for the default namespace) through the
// namespace declarations in scope at e.
func lookupPrefix(e *etree.Element, prefix string) string {
	if prefix == "xml" {
		return nsXML
	}
	for ; e != nil; e = e.Parent() {
		for _, a := range e.Attr {
			if prefix == "" && a.Space == "" && a.Key == "xmlns" {
				return a.Value
			}
			if prefix != "" && a.Space == "xmlns" && a.Key == prefix {
				return a.Value
			}
		}
	}
	return ""
}

// resolveQName resolves the QName text of e (as in s:Value) through the
// declarations in scope at e. An unprefixed name takes the default
// namespace; a prefix nobody declared leaves Space empty and keeps the raw
// text as Local, so nothing is lost.
func resolveQName(e *etree.Element, text string) QName {
	text = strings.TrimSpace(text)
	prefix, local, ok := strings.Cut(text, ":")
	if !ok {
		return QName{Space: lookupPrefix(e, ""), Local: text}
	}
	uri := lookupPrefix(e, prefix)
	if uri == "" {
		return QName{Local: text}
	}
	return QName{Space: uri, Local: local}
}
