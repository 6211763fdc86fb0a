package cim

import (
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// ParseCIMXML decodes one DSP0201 CIM-XML <INSTANCE> (optionally wrapped in
// VALUE.NAMEDINSTANCE, VALUE.OBJECT, VALUE.OBJECTWITHPATH or
// VALUE.OBJECTWITHLOCALPATH; a full <CIM><MESSAGE>... document is NOT
// required) from data, as Hyper-V returns it in GetError/GetErrorEx.
//
// PROPERTY, PROPERTY.ARRAY and PROPERTY.REFERENCE become Properties in
// document order; QUALIFIER elements are skipped; a reference value is
// rendered as an object path ("Class.Key=\"v\""); a property with the
// EmbeddedObject attribute (or qualifier) whose value is CIM-XML text is
// decoded recursively into Value.Instance, within what is left of lim.
// Datetime values are parsed into Value.Datetime where they parse.
//
// It rejects DTDs and entity declarations and any input beyond lim; every
// error is a *DecodeError.
func ParseCIMXML(data []byte, lim Limits) (*Instance, error) {
	return parseCIMXML(data, &budget{lim: lim.WithDefaults()})
}

// Budget is what the CIM-XML strings of one reply may use together. A
// reply can carry any number of them (GetErrorEx returns one per error);
// decoded each with ParseCIMXML, every one would get the whole of Limits,
// and a reply of many strings just under the limits would cost memory
// and time far beyond what one string may. Parsed through one Budget,
// they share MaxElements and MaxTotalAttributes. A Budget is not safe
// for concurrent use.
type Budget struct{ b budget }

// NewBudget returns a budget of lim; zero fields take DefaultLimits.
func NewBudget(lim Limits) *Budget { return &Budget{budget{lim: lim.WithDefaults()}} }

// ParseCIMXML is ParseCIMXML charged to b: it fails with ErrTooMany (or
// a *LimitError) once the strings parsed through b together exceed its
// limits.
func (b *Budget) ParseCIMXML(data []byte) (*Instance, error) { return parseCIMXML(data, &b.b) }

// parseCIMXML decodes a document, or an embedded string, within what b
// has left.
func parseCIMXML(data []byte, b *budget) (*Instance, error) {
	doc, err := readDocument(data, b, FormatCIMXML)
	if err != nil {
		return nil, err
	}
	d := cimxmlDecoder{b: b, lim: b.lim, ns: ResolveNamespaces(doc.Root())}
	return d.object(doc.Root())
}

// cimxmlDecoder walks a document already bounded by readDocument.
type cimxmlDecoder struct {
	b   *budget // shared with the documents embedded in this one
	lim Limits
	ns  *Namespaces
}

// cimName returns the DSP0201 element name of el. DSP0201 elements are in
// no XML namespace; an element in some namespace is not one of them.
func (d *cimxmlDecoder) cimName(el *etree.Element) string {
	if d.ns.URI(el) != "" {
		return ""
	}
	return el.Tag
}

// child returns the first child element of el with one of the names.
func (d *cimxmlDecoder) child(el *etree.Element, names ...string) *etree.Element {
	for _, c := range el.ChildElements() {
		n := d.cimName(c)
		for _, want := range names {
			if n == want {
				return c
			}
		}
	}
	return nil
}

func (d *cimxmlDecoder) errorf(cause error, reason string, args ...any) error {
	return decodeErrorf(FormatCIMXML, cause, reason, args...)
}

// object decodes the root: an INSTANCE or one of the DSP0201 wrappers that
// pair an instance with its name or path.
func (d *cimxmlDecoder) object(root *etree.Element) (*Instance, error) {
	switch n := d.cimName(root); n {
	case "INSTANCE":
		return d.instance(root)
	case "VALUE.NAMEDINSTANCE", "VALUE.OBJECT", "VALUE.OBJECTWITHPATH", "VALUE.OBJECTWITHLOCALPATH":
		inst := d.child(root, "INSTANCE")
		if inst == nil {
			if d.child(root, "CLASS") != nil {
				return nil, d.errorf(nil, "<%s> holds a class, not an instance", n)
			}
			return nil, d.errorf(nil, "<%s> holds no INSTANCE", n)
		}
		out, err := d.instance(inst)
		if err != nil {
			return nil, err
		}
		if p := d.child(root, "INSTANCEPATH"); p != nil {
			out.Namespace = d.namespacePath(d.child(p, "NAMESPACEPATH"))
		} else if p := d.child(root, "LOCALINSTANCEPATH"); p != nil {
			out.Namespace = d.localNamespace(d.child(p, "LOCALNAMESPACEPATH"))
		}
		return out, nil
	default:
		if ns := d.ns.URI(root); ns != "" {
			return nil, d.errorf(nil, "root element <%s> is in namespace %q; DSP0201 elements are in none", root.FullTag(), ns)
		}
		return nil, d.errorf(nil, "root element is <%s>, want INSTANCE", root.FullTag())
	}
}

// instance decodes an INSTANCE element.
func (d *cimxmlDecoder) instance(el *etree.Element) (*Instance, error) {
	class, _ := attrValue(el, "CLASSNAME")
	if class == "" {
		return nil, d.errorf(nil, "INSTANCE has no CLASSNAME")
	}
	inst := &Instance{ClassName: class}
	for _, c := range el.ChildElements() {
		var (
			p   Property
			err error
		)
		switch d.cimName(c) {
		case "PROPERTY":
			p, err = d.property(c)
		case "PROPERTY.ARRAY":
			p, err = d.propertyArray(c)
		case "PROPERTY.REFERENCE":
			p, err = d.propertyReference(c)
		default:
			continue // QUALIFIER, and anything a later DSP0201 adds
		}
		if err != nil {
			return nil, err
		}
		if len(inst.Properties) >= d.lim.MaxProperties {
			return nil, d.errorf(ErrTooMany, "instance of %s has more than %d properties", class, d.lim.MaxProperties)
		}
		inst.Properties = append(inst.Properties, p)
	}
	return inst, nil
}

// header reads the attributes every PROPERTY* element shares.
func (d *cimxmlDecoder) header(el *etree.Element) (Property, error) {
	name, _ := attrValue(el, "NAME")
	if name == "" {
		return Property{}, d.errorf(nil, "<%s> has no NAME", el.Tag)
	}
	typ, _ := attrValue(el, "TYPE")
	origin, _ := attrValue(el, "CLASSORIGIN")
	propagated, _ := attrValue(el, "PROPAGATED")
	return Property{
		Name:        name,
		Type:        Type(strings.ToLower(typ)),
		ClassOrigin: origin,
		Propagated:  strings.EqualFold(propagated, "true"),
	}, nil
}

func (d *cimxmlDecoder) property(el *etree.Element) (Property, error) {
	p, err := d.header(el)
	if err != nil {
		return p, err
	}
	embedded := d.isEmbedded(el)
	if embedded {
		p.Type = TypeInstance
	}
	v := d.child(el, "VALUE", "VALUE.NULL")
	if v == nil || d.cimName(v) == "VALUE.NULL" {
		p.Null = true
		return p, nil
	}
	val, err := d.value(v, p, embedded)
	if err != nil {
		return p, err
	}
	p.Values = []Value{val}
	return p, nil
}

func (d *cimxmlDecoder) propertyArray(el *etree.Element) (Property, error) {
	p, err := d.header(el)
	if err != nil {
		return p, err
	}
	p.Array = true
	embedded := d.isEmbedded(el)
	if embedded {
		p.Type = TypeInstance
	}
	arr := d.child(el, "VALUE.ARRAY")
	if arr == nil {
		p.Null = true
		return p, nil
	}
	p.Values = []Value{} // present but possibly empty: not NULL
	for _, c := range arr.ChildElements() {
		var val Value
		switch d.cimName(c) {
		case "VALUE":
			if val, err = d.value(c, p, embedded); err != nil {
				return p, err
			}
		case "VALUE.NULL":
			val = Value{Null: true}
		default:
			continue
		}
		if len(p.Values) >= d.lim.MaxProperties {
			return p, d.errorf(ErrTooMany, "array %s has more than %d elements", p.Name, d.lim.MaxProperties)
		}
		p.Values = append(p.Values, val)
	}
	return p, nil
}

func (d *cimxmlDecoder) propertyReference(el *etree.Element) (Property, error) {
	p, err := d.header(el)
	if err != nil {
		return p, err
	}
	p.Type = TypeReference
	ref := d.child(el, "VALUE.REFERENCE")
	if ref == nil {
		p.Null = true
		return p, nil
	}
	path, err := d.reference(ref)
	if err != nil {
		return p, d.errorf(err, "reference property %s", p.Name)
	}
	p.Values = []Value{{Text: path}}
	return p, nil
}

// value decodes one VALUE element of property p.
func (d *cimxmlDecoder) value(el *etree.Element, p Property, embedded bool) (Value, error) {
	if inner := d.child(el, "INSTANCE"); inner != nil {
		// Some producers nest the embedded instance as markup instead of text.
		inst, err := d.instance(inner)
		return Value{Instance: inst}, err
	}
	val := Value{Text: charData(el)}
	switch {
	case embedded && strings.TrimSpace(val.Text) != "":
		inst, err := d.embedded(val.Text, depthOf(el))
		if err != nil {
			return val, embeddedError(p.Name, err)
		}
		val.Instance = inst
	case p.Type == TypeDatetime:
		if dt, err := ParseDatetime(val.Text); err == nil {
			val.Datetime = dt
		}
	}
	return val, nil
}

// embedded decodes CIM-XML carried as text at the given depth: the inner
// document gets the depth and elements the outer one has left, so that
// nesting embedded strings cannot get around MaxDepth or MaxElements.
func (d *cimxmlDecoder) embedded(text string, depth int) (*Instance, error) {
	outer := d.b.depth
	d.b.depth += depth
	defer func() { d.b.depth = outer }()
	if d.b.depth >= d.lim.MaxDepth {
		return nil, d.errorf(ErrTooDeep, "nesting deeper than %d", d.lim.MaxDepth)
	}
	return parseCIMXML([]byte(text), d.b)
}

// embeddedError puts the name of property prop in front of err, the error
// from decoding the object embedded in it. An error from deeper embedded
// objects already carries their names: prop joins that path ("E/E/E")
// rather than wrapping the whole message again, so that the reason is said
// once however deep the nesting.
func embeddedError(prop string, err error) error {
	de, ok := err.(*DecodeError)
	if !ok {
		return decodeErrorf(FormatCIMXML, err, "embedded object in property %s", prop)
	}
	path, reason := prop, de.Reason
	if de.embedPath != "" {
		path, reason = prop+"/"+de.embedPath, de.embedReason
	}
	return &DecodeError{
		Format:      FormatCIMXML,
		Reason:      "embedded object in property " + path + ": " + reason,
		Err:         de.Err,
		embedPath:   path,
		embedReason: reason,
	}
}

// isEmbedded reports whether a property carries an embedded object: the
// DSP0201 2.2+ EmbeddedObject attribute, or an EmbeddedObject /
// EmbeddedInstance qualifier as older producers send it.
func (d *cimxmlDecoder) isEmbedded(el *etree.Element) bool {
	if v, ok := attrValue(el, "EmbeddedObject"); ok && v != "" {
		return true
	}
	for _, q := range el.ChildElements() {
		if d.cimName(q) != "QUALIFIER" {
			continue
		}
		name, _ := attrValue(q, "NAME")
		switch {
		case strings.EqualFold(name, "EmbeddedInstance"):
			return true
		case strings.EqualFold(name, "EmbeddedObject"):
			v := d.child(q, "VALUE")
			return v == nil || !strings.EqualFold(strings.TrimSpace(charData(v)), "false")
		}
	}
	return false
}

// depthOf counts el's ancestors within its document (the document node
// included, so the root has 1 and the result is el's own depth).
func depthOf(el *etree.Element) int {
	n := 0
	for p := el.Parent(); p != nil; p = p.Parent() {
		n++
	}
	return n
}

// reference renders the path in a VALUE.REFERENCE as text, in the WMI
// object-path syntax: //host/namespace:Class.Key="value",Key2=5.
func (d *cimxmlDecoder) reference(ref *etree.Element) (string, error) {
	for _, c := range ref.ChildElements() {
		switch d.cimName(c) {
		case "CLASSNAME":
			name, _ := attrValue(c, "NAME")
			return name, nil
		case "CLASSPATH":
			return joinPath(d.namespacePath(d.child(c, "NAMESPACEPATH")), d.className(d.child(c, "CLASSNAME"))), nil
		case "LOCALCLASSPATH":
			return joinPath(d.localNamespace(d.child(c, "LOCALNAMESPACEPATH")), d.className(d.child(c, "CLASSNAME"))), nil
		case "INSTANCENAME":
			return d.instanceName(c)
		case "INSTANCEPATH", "LOCALINSTANCEPATH":
			ns := d.namespacePath(d.child(c, "NAMESPACEPATH"))
			if d.cimName(c) == "LOCALINSTANCEPATH" {
				ns = d.localNamespace(d.child(c, "LOCALNAMESPACEPATH"))
			}
			in := d.child(c, "INSTANCENAME")
			if in == nil {
				return "", fmt.Errorf("<%s> has no INSTANCENAME", c.Tag)
			}
			name, err := d.instanceName(in)
			return joinPath(ns, name), err
		}
	}
	return "", fmt.Errorf("VALUE.REFERENCE holds no path")
}

func (d *cimxmlDecoder) instanceName(el *etree.Element) (string, error) {
	class, _ := attrValue(el, "CLASSNAME")
	var keys []string
	for _, c := range el.ChildElements() {
		switch d.cimName(c) {
		case "KEYBINDING":
			name, _ := attrValue(c, "NAME")
			v, err := d.keyValue(c)
			if err != nil {
				return "", err
			}
			keys = append(keys, name+"="+v)
		case "KEYVALUE", "VALUE.REFERENCE":
			// A single unnamed key (DSP0201 INSTANCENAME alternative).
			v, err := d.keyValue(el)
			if err != nil {
				return "", err
			}
			return class + "=" + v, nil
		}
	}
	if len(keys) == 0 {
		return class + "=@", nil // WMI's spelling of a singleton
	}
	return class + "." + strings.Join(keys, ","), nil
}

// keyValue renders the KEYVALUE or VALUE.REFERENCE inside el: strings and
// references quoted, numbers and booleans bare.
func (d *cimxmlDecoder) keyValue(el *etree.Element) (string, error) {
	if kv := d.child(el, "KEYVALUE"); kv != nil {
		vt, _ := attrValue(kv, "VALUETYPE")
		text := charData(kv)
		if strings.EqualFold(vt, "numeric") || strings.EqualFold(vt, "boolean") {
			return text, nil
		}
		return quotePathValue(text), nil
	}
	if ref := d.child(el, "VALUE.REFERENCE"); ref != nil {
		path, err := d.reference(ref)
		return quotePathValue(path), err
	}
	return "", fmt.Errorf("key binding has no value")
}

func quotePathValue(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func joinPath(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + ":" + name
}

func (d *cimxmlDecoder) className(el *etree.Element) string {
	if el == nil {
		return ""
	}
	name, _ := attrValue(el, "NAME")
	return name
}

// namespacePath renders NAMESPACEPATH as //host/name/space.
func (d *cimxmlDecoder) namespacePath(el *etree.Element) string {
	if el == nil {
		return ""
	}
	ns := d.localNamespace(d.child(el, "LOCALNAMESPACEPATH"))
	if h := d.child(el, "HOST"); h != nil {
		if host := strings.TrimSpace(charData(h)); host != "" {
			return "//" + host + "/" + ns
		}
	}
	return ns
}

// localNamespace renders LOCALNAMESPACEPATH as name/space.
func (d *cimxmlDecoder) localNamespace(el *etree.Element) string {
	if el == nil {
		return ""
	}
	var parts []string
	for _, c := range el.ChildElements() {
		if d.cimName(c) == "NAMESPACE" {
			name, _ := attrValue(c, "NAME")
			parts = append(parts, name)
		}
	}
	return strings.Join(parts, "/")
}
