package simulator

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"
)

const (
	nsCIMCommon = "http://schemas.dmtf.org/wbem/wscim/1/common"
	nsXSI       = "http://www.w3.org/2001/XMLSchema-instance"
)

// superclass holds the part of the CIM class hierarchy the simulated
// hosts use: enumerating a class lists its subclasses' instances too.
var superclass = map[string]string{
	"msvm_migrationjob":    "Msvm_ConcreteJob",
	"msvm_concretejob":     "CIM_ConcreteJob",
	"msps_provisioningjob": "CIM_ConcreteJob",
}

// isA reports whether class is base or derives from it.
func isA(class, base string) bool {
	for c := class; c != ""; c = superclass[strings.ToLower(c)] {
		if strings.EqualFold(c, base) {
			return true
		}
	}
	return false
}

// prop is one property of an instance as WS-CIM carries it.
type prop struct {
	name string
	vals []string // more than one: an array
	null bool
	kind byte // 0 plain, 'd' cim:Datetime, 'i' cim:Interval
}

// instance is one CIM instance a host can list.
type instance struct {
	ns    string // normalized namespace
	class string // its own class, which names its element and namespace
	props []prop
	// raw is the instance element as a fixture has it, self-contained;
	// nil for generated instances, which render from props.
	raw []byte
}

func (in *instance) prop(name string) *prop {
	for i := range in.props {
		if strings.EqualFold(in.props[i].name, name) {
			return &in.props[i]
		}
	}
	return nil
}

// value is what WQL sees of a property: datetimes and intervals as their
// DMTF strings, which is how WQL compares them.
func (in *instance) value(name string) (string, bool) {
	if strings.EqualFold(name, "__CLASS") {
		return in.class, true
	}
	p := in.prop(name)
	if p == nil || p.null || len(p.vals) == 0 {
		return "", false
	}
	v := p.vals[0]
	switch p.kind {
	case 'd':
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return dmtfDatetime(t), true
		}
	case 'i':
		if d, ok := dmtfInterval(v); ok {
			return d, true
		}
	}
	return v, true
}

// dmtfDatetime is the 25-character DMTF form yyyymmddhhmmss.mmmmmm+000.
func dmtfDatetime(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("%04d%02d%02d%02d%02d%02d.%06d+000", t.Year(), t.Month(), t.Day(),
		t.Hour(), t.Minute(), t.Second(), t.Nanosecond()/1000)
}

// dmtfInterval turns an xs:duration "PnDTnHnMn.nS" into the DMTF interval
// ddddddddhhmmss.mmmmmm:000.
func dmtfInterval(s string) (string, bool) {
	if !strings.HasPrefix(s, "P") {
		return "", false
	}
	var days, h, m int64
	var sec float64
	num := ""
	inTime := false
	for _, c := range s[1:] {
		switch {
		case c >= '0' && c <= '9' || c == '.':
			num += string(c)
			continue
		case c == 'T':
			inTime = true
			continue
		}
		if num == "" {
			return "", false
		}
		switch {
		case c == 'D' && !inTime:
			days, _ = strconv.ParseInt(num, 10, 64)
		case c == 'H' && inTime:
			h, _ = strconv.ParseInt(num, 10, 64)
		case c == 'M' && inTime:
			m, _ = strconv.ParseInt(num, 10, 64)
		case c == 'S' && inTime:
			sec, _ = strconv.ParseFloat(num, 64)
		default:
			return "", false
		}
		num = ""
	}
	total := time.Duration(days)*24*time.Hour + time.Duration(h)*time.Hour + time.Duration(m)*time.Minute +
		time.Duration(sec*float64(time.Second))
	return formatInterval(total), true
}

func formatInterval(d time.Duration) string {
	days := int64(d / (24 * time.Hour))
	d -= time.Duration(days) * 24 * time.Hour
	return fmt.Sprintf("%08d%02d%02d%02d.%06d:000", days, int(d/time.Hour), int(d/time.Minute)%60,
		int(d/time.Second)%60, int(d%time.Second/time.Microsecond))
}

// xsDuration is how WS-CIM carries an interval.
func xsDuration(d time.Duration) string {
	days := int64(d / (24 * time.Hour))
	d -= time.Duration(days) * 24 * time.Hour
	secs := strconv.FormatFloat(float64(d%time.Minute)/float64(time.Second), 'f', -1, 64)
	return fmt.Sprintf("P%dDT%dH%dM%sS", days, int(d/time.Hour), int(d/time.Minute)%60, secs)
}

// instanceFromGet reads the instance in a Get reply fixture. It returns
// nil for a fault (a job whose every call faults lists nothing).
func instanceFromGet(data []byte, ns string) (*instance, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, err
	}
	body := child(doc.Root(), nsSOAP, "Body")
	if body == nil {
		return nil, fmt.Errorf("no s:Body")
	}
	el := firstChild(body)
	if el == nil || (el.Tag == "Fault" && el.NamespaceURI() == nsSOAP) {
		return nil, nil
	}
	in := &instance{ns: normNamespace(ns), class: el.Tag}
	for _, c := range el.ChildElements() {
		p := in.prop(c.Tag)
		if p != nil {
			p.vals = append(p.vals, c.Text())
			continue
		}
		np := prop{name: c.Tag}
		switch {
		case isNil(c):
			np.null = true
		case child(c, nsCIMCommon, "Datetime") != nil:
			np.kind, np.vals = 'd', []string{strings.TrimSpace(child(c, nsCIMCommon, "Datetime").Text())}
		case child(c, nsCIMCommon, "Interval") != nil:
			np.kind, np.vals = 'i', []string{strings.TrimSpace(child(c, nsCIMCommon, "Interval").Text())}
		default:
			np.vals = []string{c.Text()}
		}
		in.props = append(in.props, np)
	}
	// Make the element self-contained: declarations made on its ancestors
	// (a fixture may declare its prefixes on the envelope) move onto it.
	cp := el.Copy()
	have := map[string]bool{}
	for _, a := range cp.Attr {
		if a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") {
			have[a.FullKey()] = true
		}
	}
	for p := el.Parent(); p != nil; p = p.Parent() {
		for _, a := range p.Attr {
			if (a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns")) && !have[a.FullKey()] {
				have[a.FullKey()] = true
				cp.CreateAttr(a.FullKey(), a.Value)
			}
		}
	}
	d := etree.NewDocument()
	d.SetRoot(cp)
	d.WriteSettings.CanonicalEndTags = false
	raw, err := d.WriteToBytes()
	if err != nil {
		return nil, err
	}
	in.raw = raw
	return in, nil
}

func isNil(el *etree.Element) bool {
	for _, a := range el.Attr {
		if a.Key == "nil" && a.NamespaceURI() == nsXSI {
			v := strings.TrimSpace(a.Value)
			return v == "true" || v == "1"
		}
	}
	return false
}

// classURI is the WMI resource URI of a class.
func classURI(ns, class string) string { return wmiPrefix + ns + "/" + class }

// writeInstance appends the instance element: the fixture's own bytes, or
// one rendered from the properties as Windows writes an instance.
func (in *instance) writeInstance(b *bytes.Buffer) {
	if in.raw != nil {
		b.Write(in.raw)
		return
	}
	fmt.Fprintf(b, `<p:%s xmlns:p="%s" xmlns:cim="%s" xmlns:xsi="%s" xsi:type="p:%s_Type">`,
		in.class, classURI(in.ns, in.class), nsCIMCommon, nsXSI, in.class)
	for i := range in.props {
		in.props[i].write(b, "p:")
	}
	fmt.Fprintf(b, "</p:%s>", in.class)
}

// writeFragment appends a w:XmlFragment holding the selected properties.
// Their elements carry no namespace (inferred: WinRM writes the selected
// properties unqualified).
func (in *instance) writeFragment(b *bytes.Buffer, names []string) {
	fmt.Fprintf(b, `<w:XmlFragment xmlns:cim="%s" xmlns:xsi="%s">`, nsCIMCommon, nsXSI)
	for _, n := range names {
		if p := in.prop(n); p != nil {
			p.write(b, "")
		} else if strings.EqualFold(n, "__CLASS") {
			fmt.Fprintf(b, "<__CLASS>%s</__CLASS>", escapeText(in.class))
		}
	}
	b.WriteString("</w:XmlFragment>")
}

func (p *prop) write(b *bytes.Buffer, prefix string) {
	if p.null || len(p.vals) == 0 {
		fmt.Fprintf(b, `<%s%s xsi:nil="true"/>`, prefix, p.name)
		return
	}
	for _, v := range p.vals {
		fmt.Fprintf(b, "<%s%s>", prefix, p.name)
		switch p.kind {
		case 'd':
			fmt.Fprintf(b, "<cim:Datetime>%s</cim:Datetime>", escapeText(v))
		case 'i':
			fmt.Fprintf(b, "<cim:Interval>%s</cim:Interval>", escapeText(v))
		default:
			b.Write(escapeText(v))
		}
		fmt.Fprintf(b, "</%s%s>", prefix, p.name)
	}
}
