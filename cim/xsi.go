package cim

import (
	"strings"

	"github.com/beevik/etree"
)

// IsNil reports whether el is marked NULL: it has an xsi:nil attribute (in
// namespace http://www.w3.org/2001/XMLSchema-instance, under any prefix)
// whose value, an XML Schema boolean, is "true" or "1" once surrounding
// white space is trimmed. Any other value, an attribute named nil in
// another namespace or none, and a nil el are not NULL. Every decoder of
// WS-Man replies should use this one rule.
func IsNil(el *etree.Element) bool {
	return (*Namespaces)(nil).IsNil(el)
}

// IsNil is the package's IsNil with el's namespaces resolved through n,
// for a decoder that tests many elements of one document.
func (n *Namespaces) IsNil(el *etree.Element) bool {
	if el == nil {
		return false
	}
	v, _ := n.xsiAttr(el, "nil")
	return v == "true" || v == "1"
}

// xsiAttr returns the value of el's attribute local in the xsi namespace,
// trimmed as XML Schema trims the simple types xsi attributes hold.
func (n *Namespaces) xsiAttr(el *etree.Element, local string) (string, bool) {
	v, ok := n.Attr(el, nsXSI, local)
	return strings.TrimSpace(v), ok
}
