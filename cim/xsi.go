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
	if el == nil {
		return false
	}
	v, _ := xsiAttr(el, "nil")
	return v == "true" || v == "1"
}

// xsiAttr returns the value of el's attribute local in the xsi namespace,
// trimmed as XML Schema trims the simple types xsi attributes hold.
func xsiAttr(el *etree.Element, local string) (string, bool) {
	for i := range el.Attr {
		a := &el.Attr[i]
		if a.Key == local && a.Space != "" && a.NamespaceURI() == nsXSI {
			return strings.TrimSpace(a.Value), true
		}
	}
	return "", false
}
