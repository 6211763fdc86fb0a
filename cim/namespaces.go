package cim

import (
	"sync/atomic"

	"github.com/beevik/etree"
)

// nsXML is the namespace the reserved "xml" prefix is bound to without a
// declaration; nsXMLNS is that of the "xmlns" attributes themselves.
const (
	nsXML   = "http://www.w3.org/XML/1998/namespace"
	nsXMLNS = "http://www.w3.org/2000/xmlns/"
)

// Namespaces holds the namespace declarations in scope at every element
// of a parsed tree, read in one pass over its attributes, so that
// resolving a name costs at most one map lookup per declaring ancestor
// instead of a scan of every attribute of every ancestor (etree's
// NamespaceURI), which a reply with many attributes turns into a CPU bomb.
// Decoders match on namespace URI and local name through it. A nil
// *Namespaces, or an element outside the tree it was built from, falls
// back to scanning the ancestors: correct, but without the bound. Once
// built, a Namespaces may be used from several goroutines.
type Namespaces struct {
	elems map[*etree.Element]nsEntry
	// steps counts attributes read and scopes walked; tests check that it
	// grows linearly with the input.
	steps atomic.Int64
}

type nsEntry struct {
	scope *nsScope
	uri   string
}

// nsScope is the declarations one element makes; elements that declare
// nothing share their parent's scope.
type nsScope struct {
	parent *nsScope
	decls  map[string]string // prefix ("" for the default) -> URI
}

// ResolveNamespaces resolves the namespace of root and of every element
// below it. Declarations on root's ancestors count, read once.
func ResolveNamespaces(root *etree.Element) *Namespaces {
	n := &Namespaces{elems: map[*etree.Element]nsEntry{}}
	if root == nil {
		return n
	}
	var ancestors []*etree.Element
	for p := root.Parent(); p != nil; p = p.Parent() {
		ancestors = append(ancestors, p)
	}
	var scope *nsScope
	for i := len(ancestors) - 1; i >= 0; i-- {
		scope = n.declare(ancestors[i], scope)
	}
	// An explicit stack: depth is bounded by the pre-scan, but a tree
	// handed to ParseWSCIM was not necessarily pre-scanned.
	type frame struct {
		el    *etree.Element
		scope *nsScope
	}
	stack := []frame{{root, scope}}
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		s := n.declare(f.el, f.scope)
		uri, _ := n.lookupScope(s, f.el.Space)
		n.elems[f.el] = nsEntry{scope: s, uri: uri}
		kids := f.el.ChildElements()
		for i := len(kids) - 1; i >= 0; i-- {
			stack = append(stack, frame{kids[i], s})
		}
	}
	return n
}

// declare returns the scope in force inside e, whose parent scope is
// parent.
func (n *Namespaces) declare(e *etree.Element, parent *nsScope) *nsScope {
	var s *nsScope
	for _, a := range e.Attr {
		n.steps.Add(1)
		prefix, ok := declaredPrefix(a)
		if !ok {
			continue
		}
		if s == nil {
			s = &nsScope{parent: parent, decls: map[string]string{}}
		}
		// The first declaration wins, as in etree's own lookup.
		if _, dup := s.decls[prefix]; !dup {
			s.decls[prefix] = a.Value
		}
	}
	if s == nil {
		return parent
	}
	return s
}

// declaredPrefix reports whether a declares a namespace, and for which
// prefix ("" for the default namespace).
func declaredPrefix(a etree.Attr) (string, bool) {
	switch {
	case a.Space == "" && a.Key == "xmlns":
		return "", true
	case a.Space == "xmlns":
		return a.Key, true
	}
	return "", false
}

func (n *Namespaces) lookupScope(s *nsScope, prefix string) (string, bool) {
	if prefix == "xml" {
		return nsXML, true
	}
	for ; s != nil; s = s.parent {
		n.steps.Add(1)
		if uri, ok := s.decls[prefix]; ok {
			return uri, true
		}
	}
	return "", false
}

// URI returns el's namespace URI, "" when it has none or its prefix is
// not declared.
func (n *Namespaces) URI(el *etree.Element) string {
	if el == nil {
		return ""
	}
	if n != nil {
		if e, ok := n.elems[el]; ok {
			return e.uri
		}
	}
	uri, _ := n.Lookup(el, el.Space)
	return uri
}

// Lookup resolves prefix ("" for the default namespace) in el's scope. A
// prefix nobody declared is not bound; xmlns="" binds the default
// namespace to "".
func (n *Namespaces) Lookup(el *etree.Element, prefix string) (string, bool) {
	if n != nil {
		if e, ok := n.elems[el]; ok {
			return n.lookupScope(e.scope, prefix)
		}
	}
	if prefix == "xml" {
		return nsXML, true
	}
	for ; el != nil; el = el.Parent() {
		for _, a := range el.Attr {
			if p, ok := declaredPrefix(a); ok && p == prefix {
				return a.Value, true
			}
		}
	}
	return "", false
}

// AttrURI returns the namespace URI of attribute a of el: none for an
// unprefixed attribute, whatever its prefix is bound to otherwise.
func (n *Namespaces) AttrURI(el *etree.Element, a *etree.Attr) string {
	switch a.Space {
	case "":
		return ""
	case "xmlns":
		return nsXMLNS
	}
	uri, _ := n.Lookup(el, a.Space)
	return uri
}

// Attr returns the value of el's attribute {ns}local and whether it is
// there.
func (n *Namespaces) Attr(el *etree.Element, ns, local string) (string, bool) {
	if el == nil {
		return "", false
	}
	for i := range el.Attr {
		a := &el.Attr[i]
		if a.Key == local && a.Space != "" && n.AttrURI(el, a) == ns {
			return a.Value, true
		}
	}
	return "", false
}

// Is reports whether el is the element {ns}local.
func (n *Namespaces) Is(el *etree.Element, ns, local string) bool {
	return el != nil && el.Tag == local && n.URI(el) == ns
}
