package cim

import (
	"strings"

	"github.com/beevik/etree"
)

// Namespaces the WS-CIM decoder matches on (never on prefixes).
const (
	nsXSI          = "http://www.w3.org/2001/XMLSchema-instance"
	nsXS           = "http://www.w3.org/2001/XMLSchema"
	nsWSCIMCommon  = "http://schemas.dmtf.org/wbem/wscim/1/common"
	nsAddressing   = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	nsAddressing10 = "http://www.w3.org/2005/08/addressing"
	nsWSMan        = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
)

// ParseWSCIM decodes a DSP0230 WS-CIM instance element: el's children in
// the property namespace are the properties (matched by namespace URI and
// local name; children in other namespaces are skipped), xsi:nil="true"
// marks NULL, repeated elements form arrays, xsi:type may type values, and
// cim:Datetime / cim:Interval / cim:CIM_DateTime children are datetimes.
// The class name comes from xsi:type ("p:CIM_Error_Type" -> "CIM_Error"),
// else from the element's namespace URI ending in "/<Class>", else from
// the element's local name.
//
// More precisely:
//   - the property namespace is the one el's xsi:type QName resolves to
//     ("p:CIM_Error_Type" with p bound to the CIM_Error class URI), else
//     that of el's first element child; the same holds for each embedded
//     instance;
//   - the xsi namespace is http://www.w3.org/2001/XMLSchema-instance under
//     any prefix; xsi:type values name DSP0230 cim* types or XML Schema
//     types ("cim:cimUnsignedShort" gives TypeUint16);
//   - a NULL array arrives as one element with xsi:nil, giving a NULL
//     property that is not marked Array;
//   - a property element with one cim:Datetime, cim:Interval,
//     cim:CIM_DateTime, cim:Date or cim:Time child, in namespace
//     http://schemas.dmtf.org/wbem/wscim/1/common and no other, is a
//     datetime; one that
//     holds a WS-Addressing endpoint reference is a reference, rendered as
//     an object path; any other property element with element children is
//     an embedded instance, decoded recursively;
//   - when el itself has no xsi:type, the namespace URI of its property
//     elements is tried before el's own, since an embedded-object output
//     parameter (<p:Error> in the job's namespace) holds properties in the
//     namespace of the embedded class.
//
// el has already been read, so lim.MaxBytes does not apply (ParseWSCIMBytes
// checks it, and CheckXML checks a whole document before it is parsed);
// depth and elements are counted from el. Errors are *DecodeError.
func ParseWSCIM(el *etree.Element, lim Limits) (*Instance, error) {
	return ParseWSCIMWith(el, nil, lim)
}

// ParseWSCIMWith is ParseWSCIM with the namespaces of el's document
// already resolved by ResolveNamespaces (on el or an ancestor), so that
// decoding many instances of one reply resolves it once. A nil ns
// resolves el's subtree.
func ParseWSCIMWith(el *etree.Element, ns *Namespaces, lim Limits) (*Instance, error) {
	if el == nil {
		return nil, decodeErrorf(FormatWSCIM, nil, "no instance element")
	}
	if ns == nil {
		ns = ResolveNamespaces(el)
	}
	return (&wscimDecoder{lim: lim.WithDefaults(), ns: ns}).root(el)
}

// ParseWSCIMBytes decodes a standalone XML document whose root element is
// a WS-CIM instance, after the checks ParseCIMXML makes: size, depth, no
// DTD or entity declarations, well-formed.
func ParseWSCIMBytes(data []byte, lim Limits) (*Instance, error) {
	lim = lim.WithDefaults()
	doc, err := readDocument(data, &budget{lim: lim}, FormatWSCIM)
	if err != nil {
		return nil, err
	}
	return (&wscimDecoder{lim: lim, ns: ResolveNamespaces(doc.Root())}).root(doc.Root())
}

type wscimDecoder struct {
	lim Limits
	ns  *Namespaces
	// elements counts the elements decoded, against lim.MaxElements: a
	// tree handed to ParseWSCIM was not pre-scanned.
	elements int
}

func (d *wscimDecoder) errorf(cause error, reason string, args ...any) error {
	return decodeErrorf(FormatWSCIM, cause, reason, args...)
}

// root decodes the instance element itself. A NULL one (xsi:nil, as an
// output parameter is when a job has no error) is not an instance.
func (d *wscimDecoder) root(el *etree.Element) (*Instance, error) {
	if d.ns.IsNil(el) {
		return nil, d.errorf(ErrNull, "<%s> is xsi:nil", el.Tag)
	}
	d.elements = 1
	return d.instance(el, 1)
}

// wscimProperty gathers the elements of one property before it is known
// whether they form an array.
type wscimProperty struct {
	prop  Property
	elems []Value
}

// instance decodes el, found at depth (el itself counting 1 at the top).
// Only children in the instance's property namespace (see
// propertyNamespace) are its properties; others, SOAP or vendor
// extensions say, are skipped so that they can neither merge with nor
// shadow a property of the same local name.
func (d *wscimDecoder) instance(el *etree.Element, depth int) (*Instance, error) {
	kids := el.ChildElements()
	if len(kids) > 0 && depth+1 > d.lim.MaxDepth {
		return nil, d.errorf(ErrTooDeep, "nesting deeper than %d", d.lim.MaxDepth)
	}
	ns := d.propertyNamespace(el, kids)
	inst := &Instance{ClassName: d.className(el, ns, kids), Namespace: d.ns.URI(el)}
	if len(kids) > 0 {
		inst.Namespace = ns
	}
	var props []*wscimProperty
	index := map[string]int{}
	for _, c := range kids {
		d.elements++
		if d.elements > d.lim.MaxElements {
			return nil, d.errorf(ErrTooMany, "more than %d elements", d.lim.MaxElements)
		}
		if d.ns.URI(c) != ns {
			continue
		}
		val, typ, err := d.value(c, depth+1)
		if err != nil {
			return nil, err
		}
		i, seen := index[c.Tag]
		if !seen {
			if len(props) >= d.lim.MaxProperties {
				return nil, d.errorf(ErrTooMany, "instance of %s has more than %d properties", inst.ClassName, d.lim.MaxProperties)
			}
			i = len(props)
			index[c.Tag] = i
			props = append(props, &wscimProperty{prop: Property{Name: c.Tag}})
		}
		p := props[i]
		if len(p.elems) >= d.lim.MaxProperties {
			return nil, d.errorf(ErrTooMany, "array %s has more than %d elements", c.Tag, d.lim.MaxProperties)
		}
		if p.prop.Type == TypeUnknown {
			p.prop.Type = typ
		}
		p.elems = append(p.elems, val)
	}
	inst.Properties = make([]Property, 0, len(props))
	for _, p := range props {
		switch {
		case len(p.elems) > 1:
			p.prop.Array = true
			p.prop.Values = p.elems
		case p.elems[0].Null:
			p.prop.Null = true
		default:
			p.prop.Values = p.elems
		}
		inst.Properties = append(inst.Properties, p.prop)
	}
	return inst, nil
}

// datetimeWrappers are the cim:cimDateTime alternatives (DSP0230).
var datetimeWrappers = map[string]bool{"Datetime": true, "Interval": true, "CIM_DateTime": true, "Date": true, "Time": true}

// value decodes one property element c at depth, returning its value and
// the type it declares or implies.
func (d *wscimDecoder) value(c *etree.Element, depth int) (Value, Type, error) {
	typ := d.xsiType(c)
	if d.ns.IsNil(c) {
		return Value{Null: true}, typ, nil
	}
	kids := c.ChildElements()
	if len(kids) == 0 {
		v := Value{Text: charData(c)}
		if typ == TypeDatetime {
			v.Datetime, _ = ParseDatetime(v.Text)
		}
		return v, typ, nil
	}
	if depth+1 > d.lim.MaxDepth {
		return Value{}, typ, d.errorf(ErrTooDeep, "nesting deeper than %d", d.lim.MaxDepth)
	}
	if k := kids[0]; len(kids) == 1 && datetimeWrappers[k.Tag] && d.ns.URI(k) == nsWSCIMCommon {
		v := Value{Text: charData(k)}
		// An unparseable datetime keeps its text: the value is still worth showing.
		v.Datetime, _ = ParseDatetime(v.Text)
		return v, TypeDatetime, nil
	}
	if ref, ok := d.endpointReference(c); ok {
		return Value{Text: ref}, TypeReference, nil
	}
	inst, err := d.instance(c, depth)
	if err != nil {
		return Value{}, typ, err
	}
	return Value{Instance: inst}, TypeInstance, nil
}

// propertyNamespace is the namespace of el's property elements: the one
// el's xsi:type QName resolves to when it names a class type ("p:X_Type"
// with p bound), else that of el's first element child. DSP0230 puts an
// instance's properties in its class's namespace, which an embedded-object
// output parameter (<p:Error> in the job's namespace) need not share.
func (d *wscimDecoder) propertyNamespace(el *etree.Element, kids []*etree.Element) string {
	if v, ok := d.ns.xsiAttr(el, "type"); ok {
		prefix, _, found := strings.Cut(v, ":")
		if !found {
			prefix = ""
		}
		if ns, bound := d.ns.Lookup(el, prefix); bound && ns != nsWSCIMCommon && ns != nsXS {
			return ns
		}
	}
	if len(kids) > 0 {
		return d.ns.URI(kids[0])
	}
	return d.ns.URI(el)
}

// xsiTypes maps DSP0230 cim* type names and the XML Schema types they
// derive from to CIM types.
var xsiTypes = map[string]Type{
	"cimBoolean": TypeBoolean, "boolean": TypeBoolean,
	"cimString": TypeString, "string": TypeString,
	"cimChar16":       TypeChar16,
	"cimUnsignedByte": TypeUint8, "unsignedByte": TypeUint8,
	"cimByte": TypeSint8, "byte": TypeSint8,
	"cimUnsignedShort": TypeUint16, "unsignedShort": TypeUint16,
	"cimShort": TypeSint16, "short": TypeSint16,
	"cimUnsignedInt": TypeUint32, "unsignedInt": TypeUint32,
	"cimInt": TypeSint32, "int": TypeSint32,
	"cimUnsignedLong": TypeUint64, "unsignedLong": TypeUint64,
	"cimLong": TypeSint64, "long": TypeSint64,
	"cimFloat": TypeReal32, "float": TypeReal32,
	"cimDouble": TypeReal64, "double": TypeReal64,
	"cimDateTime": TypeDatetime, "dateTime": TypeDatetime, "duration": TypeDatetime,
	"date": TypeDatetime, "time": TypeDatetime,
	"cimReference": TypeReference,
}

// xsiType maps el's xsi:type to a CIM type. The QName's prefix is resolved
// in el's scope; a type in a namespace other than WS-CIM common or XML
// Schema (a class's own "X_Type", say) is not a simple type. An unbound
// prefix is read by local name alone.
func (d *wscimDecoder) xsiType(el *etree.Element) Type {
	v, ok := d.ns.xsiAttr(el, "type")
	if !ok {
		return TypeUnknown
	}
	prefix, local, found := strings.Cut(v, ":")
	if !found {
		prefix, local = "", v
	}
	switch ns, bound := d.ns.Lookup(el, prefix); {
	case !bound, ns == nsWSCIMCommon, ns == nsXS:
		return xsiTypes[local]
	}
	return TypeUnknown
}

// className picks the class name of an instance element whose
// properties are in namespace ns (see ParseWSCIM).
func (d *wscimDecoder) className(el *etree.Element, ns string, kids []*etree.Element) string {
	if v, ok := d.ns.xsiAttr(el, "type"); ok {
		_, local, found := strings.Cut(v, ":")
		if !found {
			local = v
		}
		if name := strings.TrimSuffix(local, "_Type"); name != local && name != "" {
			return name
		}
	}
	if len(kids) > 0 {
		if name := lastSegment(ns); name != "" {
			return name
		}
	}
	if name := lastSegment(d.ns.URI(el)); name != "" {
		return name
	}
	return el.Tag
}

// lastSegment returns the part of a namespace URI after its last "/" when
// it reads as a CIM class name (letters, digits, underscores).
func lastSegment(uri string) string {
	i := strings.LastIndexByte(uri, '/')
	if i < 0 {
		return ""
	}
	seg := uri[i+1:]
	if seg == "" {
		return ""
	}
	for _, r := range seg {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return ""
		}
	}
	return seg
}

// endpointReference renders a WS-Addressing EPR (how DSP0230 carries a CIM
// reference) held by el as an object path: namespace:Class.Key="v",...
func (d *wscimDecoder) endpointReference(el *etree.Element) (string, bool) {
	var addr, params *etree.Element
	for _, c := range el.ChildElements() {
		ns := d.ns.URI(c)
		if ns != nsAddressing && ns != nsAddressing10 {
			continue
		}
		switch c.Tag {
		case "Address":
			addr = c
		case "ReferenceParameters":
			params = c
		}
	}
	if addr == nil || params == nil {
		return "", false
	}
	var uri string
	var keys []string
	namespace := ""
	for _, c := range params.ChildElements() {
		if d.ns.URI(c) != nsWSMan {
			continue
		}
		switch c.Tag {
		case "ResourceURI":
			uri = strings.TrimSpace(charData(c))
		case "SelectorSet":
			for _, s := range c.ChildElements() {
				if s.Tag != "Selector" || d.ns.URI(s) != nsWSMan {
					continue
				}
				name, _ := attrValue(s, "Name")
				val := charData(s)
				if strings.EqualFold(name, "__cimnamespace") {
					namespace = val
					continue
				}
				keys = append(keys, name+"="+quotePathValue(val))
			}
		}
	}
	class := uri
	if i := strings.LastIndexByte(uri, '/'); i >= 0 {
		class = uri[i+1:]
		// WMI resource URIs carry the namespace: .../wmi/root/cimv2/Class.
		if j := strings.Index(uri[:i], "/wmi/"); j >= 0 && namespace == "" {
			namespace = uri[j+len("/wmi/") : i]
		}
	}
	path := class
	if len(keys) > 0 {
		path += "." + strings.Join(keys, ",")
	}
	return joinPath(namespace, path), true
}
