package wsman

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/beevik/etree"
	"github.com/cimjob/cimjob/cim"
)

// QName is an XML qualified name resolved to its namespace URI.
type QName struct {
	Space string // namespace URI
	Local string
}

// String writes q with the prefix WS-Management documents conventionally
// use for its namespace ("w:InvalidSelectors"), or in {uri}local form.
func (q QName) String() string {
	if q.Local == "" {
		return ""
	}
	if p, ok := conventionalPrefix(q.Space); ok {
		return p + ":" + q.Local
	}
	if q.Space == "" {
		return q.Local
	}
	return "{" + q.Space + "}" + q.Local
}

// conventionalPrefix names the prefix WS-Management documents use for ns.
func conventionalPrefix(ns string) (string, bool) {
	switch ns {
	case NSSOAP:
		return "s", true
	case NSAddressing:
		return "a", true
	case NSWSMan:
		return "w", true
	case NSMSWSMan:
		return "p", true
	case NSEnumeration:
		return "n", true
	case NSTransfer:
		return "t", true
	case NSWSManFault:
		return "f", true
	}
	return "", false
}

// Subcodes the predicates below test for.
func subcodeWSMan(local string) QName { return QName{NSWSMan, local} }

// WSManFault codes seen from Windows (docs/wire.md, Faults).
const (
	CodeInvalidSelectors  = 2150858843
	CodeTimedOut          = 2150858793
	CodeAccessDenied      = 2147942405
	CodeWMIAccessDenied   = 2150859012
	CodeWMIAccessDenied2  = 2150859013
	CodeClassNotFound     = 2150858778
	CodeTooManyOperations = 2150859174
)

// Fault is a SOAP 1.2 fault from a WS-Management service, with the
// Microsoft WSManFault detail decoded where present. It is returned as an
// error by every Client call, whatever HTTP status carried it.
type Fault struct {
	// Code is s:Code/s:Value (Sender or Receiver); Subcode is
	// s:Code/s:Subcode/s:Value (w:InvalidSelectors, w:TimedOut, ...).
	Code    QName
	Subcode QName
	// Reason is s:Reason/s:Text (the first, or the one in the request locale).
	Reason string
	// Reasons holds every s:Reason/s:Text with its xml:lang.
	Reasons []ReasonText
	// Action is the reply's wsa:Action, if any.
	Action string
	// HTTPStatus is the status of the HTTP reply that carried the fault,
	// when the transport reports it (0 otherwise).
	HTTPStatus int
	// WSMan is the s:Detail/f:WSManFault detail, if any. Nested provider
	// faults hang off it.
	WSMan *WSManFault
	// FaultDetail is the DSP0226 s:Detail/wsman:FaultDetail URI, if any.
	FaultDetail string
	// CIMError is an MSFT_WmiError / CIM_Error instance found in the detail
	// (directly, or in a provider fault's ExtendedError), decoded with cim.
	CIMError *cim.Error
	// DecodeErr says why a CIM error instance in the detail could not be
	// decoded; the fault itself is still valid.
	DecodeErr error
	// DetailText keeps the text of s:Detail children that were not decoded.
	DetailText string

	// t resolves names in the reply while the fault is parsed.
	t tree
}

// ReasonText is one s:Reason/s:Text.
type ReasonText struct {
	Lang string
	Text string
}

// WSManFault is the Microsoft WSManFault detail element.
type WSManFault struct {
	Code    uint32 // e.g. 2150858843
	Machine string
	Message string
	// Provider is the nested f:ProviderFault, if any.
	Provider *ProviderFault
}

// ProviderFault is a WMI provider's part of a fault.
type ProviderFault struct {
	Provider string
	Path     string
	Message  string
	// WSMan is a WSManFault nested inside the provider fault.
	WSMan *WSManFault
	// ExtendedError is the class name of the f:ExtendedError payload
	// (__ExtendedStatus, MSFT_WmiError, ...), if any.
	ExtendedError string
	// Extended is the ExtendedError payload decoded as a CIM instance, nil
	// if it could not be decoded.
	Extended *cim.Instance
}

// ParseFault decodes a SOAP 1.2 s:Fault element. QNames in s:Value are
// resolved through the namespace declarations in scope where they appear,
// so any prefix works. An undecodable CIM error in the detail leaves the
// fault intact and is reported in DecodeErr.
func ParseFault(el *etree.Element, lim cim.Limits) (*Fault, error) {
	return parseFault(tree{ns: cim.ResolveNamespaces(el)}, el, lim)
}

// parseFault is ParseFault within a reply whose namespaces t resolved.
func parseFault(t tree, el *etree.Element, lim cim.Limits) (*Fault, error) {
	if !t.is(el, NSSOAP, "Fault") {
		return nil, &ResponseError{Reason: "not a SOAP 1.2 Fault element"}
	}
	lim = lim.WithDefaults()
	f := &Fault{t: t}
	// t is needed only while parsing; a Fault kept as an error should not
	// keep the reply's namespace index alive.
	defer func() { f.t = tree{} }()
	if code := f.t.child(el, NSSOAP, "Code"); code != nil {
		if v := f.t.child(code, NSSOAP, "Value"); v != nil {
			f.Code = f.t.resolveQName(v, textOf(v))
		}
		if sub := f.t.child(code, NSSOAP, "Subcode"); sub != nil {
			if v := f.t.child(sub, NSSOAP, "Value"); v != nil {
				f.Subcode = f.t.resolveQName(v, textOf(v))
			}
		}
	}
	for _, t := range f.t.children(f.t.child(el, NSSOAP, "Reason"), NSSOAP, "Text") {
		lang, _ := f.t.attrNS(t, nsXML, "lang")
		f.Reasons = append(f.Reasons, ReasonText{Lang: lang, Text: oneLine(textOf(t))})
	}
	f.Reason = f.pickReason("")
	if d := f.t.child(el, NSSOAP, "Detail"); d != nil {
		f.parseDetail(d, lim)
	}
	return f, nil
}

// pickReason returns the reason text in locale (exact, then by primary
// language), else the first.
func (f *Fault) pickReason(locale string) string {
	if len(f.Reasons) == 0 {
		return ""
	}
	if locale != "" {
		for _, r := range f.Reasons {
			if strings.EqualFold(r.Lang, locale) {
				return r.Text
			}
		}
		primary, _, _ := strings.Cut(locale, "-")
		for _, r := range f.Reasons {
			p, _, _ := strings.Cut(r.Lang, "-")
			if strings.EqualFold(p, primary) {
				return r.Text
			}
		}
	}
	return f.Reasons[0].Text
}

func (f *Fault) parseDetail(d *etree.Element, lim cim.Limits) {
	decoded := map[*etree.Element]bool{}
	for _, c := range d.ChildElements() {
		switch {
		case f.t.is(c, NSWSManFault, "WSManFault") && f.WSMan == nil:
			f.WSMan = f.parseWSManFault(c, lim)
		case f.t.is(c, NSWSMan, "FaultDetail"):
			f.FaultDetail = textOf(c)
		case f.isCIMError(c):
			f.decodeCIMError(c, lim)
		default:
			continue
		}
		decoded[c] = true
	}
	f.DetailText = orderedText(d, func(e *etree.Element) bool { return decoded[e] })
}

func (f *Fault) parseWSManFault(el *etree.Element, lim cim.Limits) *WSManFault {
	w := &WSManFault{}
	if v, ok := attrPlain(el, "Code"); ok {
		if n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32); err == nil {
			w.Code = uint32(n)
		}
	}
	w.Machine, _ = attrPlain(el, "Machine")
	if msg := f.t.child(el, NSWSManFault, "Message"); msg != nil {
		w.Message = oneLine(textOf(msg))
		if pf := f.t.child(msg, NSWSManFault, "ProviderFault"); pf != nil {
			w.Provider = f.parseProviderFault(pf, lim)
		}
	}
	return w
}

func (f *Fault) parseProviderFault(el *etree.Element, lim cim.Limits) *ProviderFault {
	p := &ProviderFault{Message: oneLine(textOf(el))}
	p.Provider, _ = attrPlain(el, "provider")
	p.Path, _ = attrPlain(el, "path")
	if w := f.t.child(el, NSWSManFault, "WSManFault"); w != nil {
		p.WSMan = f.parseWSManFault(w, lim)
	}
	if ext := firstChildElement(f.t.child(el, NSWSManFault, "ExtendedError")); ext != nil {
		p.ExtendedError = ext.Tag
		if f.isCIMError(ext) {
			p.Extended = f.decodeCIMError(ext, lim)
		} else if inst, err := cim.ParseWSCIMWith(ext, f.t.ns, lim); err == nil {
			p.Extended = inst
		}
	}
	return p
}

// isCIMError reports whether el is a CIM_Error (or subclass) instance: it
// says so with wsmb:IsCIM_Error, or it is one of the Windows error classes.
func (f *Fault) isCIMError(el *etree.Element) bool {
	if v, ok := f.t.attrNS(el, NSCIMBinding, "IsCIM_Error"); ok && strings.TrimSpace(v) == "true" {
		return true
	}
	switch strings.ToLower(el.Tag) {
	case "cim_error", "msft_wmierror", "msvm_error":
		return true
	}
	return false
}

// decodeCIMError decodes el into f.CIMError (the first one wins) and
// returns the instance.
func (f *Fault) decodeCIMError(el *etree.Element, lim cim.Limits) *cim.Instance {
	inst, err := cim.ParseWSCIMWith(el, f.t.ns, lim)
	if err != nil {
		f.DecodeErr = fmt.Errorf("decoding %s in fault detail: %w", el.Tag, err)
		return nil
	}
	if f.CIMError == nil {
		ce, err := cim.NewError(inst)
		if err != nil {
			f.DecodeErr = fmt.Errorf("decoding %s in fault detail: %w", el.Tag, err)
			return inst
		}
		f.CIMError = ce
	}
	return inst
}

// orderedText returns the text below e in document order, leaving out
// the subtrees skip selects, folded to one line.
func orderedText(e *etree.Element, skip func(*etree.Element) bool) string {
	var b strings.Builder
	var rec func(*etree.Element)
	rec = func(x *etree.Element) {
		for _, t := range x.Child {
			switch t := t.(type) {
			case *etree.CharData:
				b.WriteString(t.Data)
			case *etree.Element:
				if !skip(t) {
					b.WriteByte(' ')
					rec(t)
					b.WriteByte(' ')
				}
			}
		}
	}
	rec(e)
	return oneLine(b.String())
}

// chain returns the WSManFaults from the outermost to the deepest.
func (f *Fault) chain() []*WSManFault {
	var out []*WSManFault
	for w := f.WSMan; w != nil && len(out) < 64; {
		out = append(out, w)
		if w.Provider == nil {
			break
		}
		w = w.Provider.WSMan
	}
	return out
}

// WSManCode returns the deepest non-zero WSManFault code (a provider's own
// code is more specific than the service's), or 0.
func (f *Fault) WSManCode() uint32 {
	var code uint32
	for _, w := range f.chain() {
		if w.Code != 0 {
			code = w.Code
		}
	}
	return code
}

// Machine returns the machine the fault names, outermost first.
func (f *Fault) Machine() string {
	for _, w := range f.chain() {
		if w.Machine != "" {
			return w.Machine
		}
	}
	return ""
}

// Message returns the most useful human text the fault carries: the
// service's message, else a provider's, else the CIM error's, else the
// SOAP reason.
func (f *Fault) Message() string {
	for _, w := range f.chain() {
		if w.Message != "" {
			return w.Message
		}
		if w.Provider != nil && w.Provider.Message != "" {
			return w.Provider.Message
		}
	}
	if f.CIMError != nil && f.CIMError.Message != "" {
		return oneLine(f.CIMError.Message)
	}
	if f.Reason != "" {
		return f.Reason
	}
	return f.DetailText
}

// Error returns one line: the subcode (or code), the WSMan code, the
// machine and the message.
func (f *Fault) Error() string {
	var b strings.Builder
	b.WriteString("wsman fault")
	name := f.Subcode
	if name.Local == "" {
		name = f.Code
	}
	if s := name.String(); s != "" {
		b.WriteString(" " + s)
	}
	if c := f.WSManCode(); c != 0 {
		fmt.Fprintf(&b, " (%d)", c)
	}
	if m := f.Machine(); m != "" {
		b.WriteString(" from " + oneLine(m))
	}
	if msg := f.Message(); msg != "" {
		b.WriteString(": " + msg)
	}
	return b.String()
}

// Is lets errors.Is match a fault against a pattern *Fault: every
// non-zero field among Code, Subcode and WSMan.Code of the pattern must
// match (WSMan.Code against any code in the fault's chain).
func (f *Fault) Is(target error) bool {
	t, ok := target.(*Fault)
	if !ok || t == nil {
		return false
	}
	if t.Code != (QName{}) && t.Code != f.Code {
		return false
	}
	if t.Subcode != (QName{}) && t.Subcode != f.Subcode {
		return false
	}
	if t.WSMan != nil && t.WSMan.Code != 0 && !f.hasCode(t.WSMan.Code) {
		return false
	}
	return t.Code != (QName{}) || t.Subcode != (QName{}) || (t.WSMan != nil && t.WSMan.Code != 0)
}

func (f *Fault) hasCode(code uint32) bool {
	for _, w := range f.chain() {
		if w.Code == code {
			return true
		}
	}
	return false
}

// HasSubcode reports whether err is, or wraps, a *Fault with subcode q.
func HasSubcode(err error, q QName) bool {
	var f *Fault
	return errors.As(err, &f) && f.Subcode == q
}

// hasAnyCode reports whether err wraps a *Fault carrying one of codes.
func hasAnyCode(err error, codes ...uint32) bool {
	var f *Fault
	if !errors.As(err, &f) {
		return false
	}
	for _, c := range codes {
		if f.hasCode(c) {
			return true
		}
	}
	return false
}

// IsInvalidSelectors reports a w:InvalidSelectors fault: on a job, the
// usual sign that the job instance no longer exists.
func IsInvalidSelectors(err error) bool {
	return HasSubcode(err, subcodeWSMan("InvalidSelectors")) || hasAnyCode(err, CodeInvalidSelectors)
}

// IsTimedOut reports a w:TimedOut fault (the service gave up within the
// OperationTimeout).
func IsTimedOut(err error) bool {
	return HasSubcode(err, subcodeWSMan("TimedOut")) || hasAnyCode(err, CodeTimedOut)
}

// IsAccessDenied reports an access-denied fault, at the WS-Man or WMI level.
func IsAccessDenied(err error) bool {
	return HasSubcode(err, subcodeWSMan("AccessDenied")) || hasAnyCode(err, CodeAccessDenied, CodeWMIAccessDenied, CodeWMIAccessDenied2)
}

// IsInvalidEnumerationContext reports that an enumeration context expired
// or is unknown to the service.
func IsInvalidEnumerationContext(err error) bool {
	return HasSubcode(err, QName{NSEnumeration, "InvalidEnumerationContext"})
}
