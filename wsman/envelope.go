package wsman

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// Actions of the WS-Management operations cimjob uses.
const (
	ActionGet       = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
	ActionEnumerate = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"
	ActionPull      = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull"
	ActionRelease   = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Release"
)

// Selector is one wsman:Selector of a SelectorSet (InstanceID=..., or
// __cimnamespace=...).
type Selector struct {
	Name  string
	Value string
}

// Option is one wsman:Option of an OptionSet.
type Option struct {
	Name       string
	Value      string
	Type       string // DSP0226 Type attribute (an xs:QName such as "xs:boolean"), optional
	MustComply bool
}

// Param is one input parameter of an Invoke. A NULL parameter is sent
// with xsi:nil="true"; an array parameter is its element repeated.
type Param struct {
	Name   string
	Values []string
	Null   bool
}

// Request is one WS-Management request before its headers are filled in.
// Build it with NewIdentify, NewGet, NewInvoke, NewEnumerate or NewPull.
type Request struct {
	// Action is the wsa:Action; empty for Identify, which has none.
	Action      string
	ResourceURI string
	Selectors   []Selector
	Options     []Option
	// Idempotent says the request may be sent again after it may have
	// reached the service: after a busy status (503, 429) or a dropped
	// context (401) that is not sealed, or a reply that never came.
	// Without it the transports send it once and report such a failure
	// as a *MayHaveRunError. NewIdentify, NewGet and NewEnumerate set it;
	// NewInvoke, NewPull and NewRelease do not. A Pull changes nothing on
	// the host but moves the enumeration context on: sent again after a
	// lost reply it may skip a page of items without a word, so a failed
	// Pull ends the enumeration with an error instead. Set it on an Invoke
	// only for a method that changes nothing, such as a job's GetError.
	Idempotent bool
	// body is set by the constructors; method by NewInvoke.
	body   bodyWriter
	method string
}

// Headers are the per-message values the Client fills in.
type Headers struct {
	To               string
	MessageID        string // "uuid:..."
	MaxEnvelopeSize  int    // bytes; Windows faults below 8192
	OperationTimeout time.Duration
	Locale           string // xml:lang of wsman:Locale, mustUnderstand="false"
	DataLocale       string // xml:lang of the MS DataLocale, mustUnderstand="false"
}

// EnumerateOptions shape an Enumerate request.
type EnumerateOptions struct {
	// Filter is a WQL query ("SELECT * FROM Msvm_ConcreteJob"); empty for none.
	Filter string
	// Dialect defaults to WQLDialect when Filter is set.
	Dialect string
	// Optimize asks for the first items in the Enumerate reply itself.
	Optimize bool
	// MaxElements bounds items per reply; 0 leaves it to the service.
	MaxElements int
}

// bodyWriter fills in s:Body for a request.
type bodyWriter func(body *etree.Element)

// NewIdentify returns an Identify request (DSP0226 section 11): an empty
// header and a wsmid:Identify body, with no Action or ResourceURI, so the
// reply carries no RelatesTo either.
func NewIdentify() *Request {
	return &Request{Idempotent: true, body: func(b *etree.Element) {
		b.CreateElement("wsmid:Identify").CreateAttr("xmlns:wsmid", NSIdentity)
	}}
}

// NewGet returns a WS-Transfer Get of one instance.
func NewGet(resourceURI string, selectors ...Selector) *Request {
	return &Request{Action: ActionGet, ResourceURI: resourceURI, Selectors: selectors, Idempotent: true}
}

// NewInvoke returns a request to invoke method on the instance the selectors
// name; Action is resourceURI + "/" + method and the body is
// <p:method_INPUT xmlns:p="resourceURI"> with params as children.
// A Param with no Values and not Null is omitted. The request is not
// Idempotent unless the caller sets it.
func NewInvoke(resourceURI, method string, selectors []Selector, params []Param) *Request {
	return &Request{
		Action:      resourceURI + "/" + method,
		ResourceURI: resourceURI,
		Selectors:   selectors,
		method:      method,
		body: func(b *etree.Element) {
			// The MS header prefix "p" is shadowed here on purpose: this is
			// the form Windows itself sends and documents.
			in := b.CreateElement("p:" + method + "_INPUT")
			in.CreateAttr("xmlns:p", resourceURI)
			for _, p := range params {
				if p.Null {
					in.CreateElement("p:"+p.Name).CreateAttr("xsi:nil", "true")
					continue
				}
				for _, v := range p.Values {
					in.CreateElement("p:" + p.Name).SetText(v)
				}
			}
		},
	}
}

// NewEnumerate returns a WS-Enumeration Enumerate request.
func NewEnumerate(resourceURI string, opt EnumerateOptions) *Request {
	return &Request{
		Action:      ActionEnumerate,
		ResourceURI: resourceURI,
		Idempotent:  true,
		body: func(b *etree.Element) {
			en := b.CreateElement("n:Enumerate")
			if opt.Filter != "" {
				f := en.CreateElement("w:Filter")
				d := opt.Dialect
				if d == "" {
					d = WQLDialect
				}
				f.CreateAttr("Dialect", d)
				f.SetText(opt.Filter)
			}
			if opt.Optimize {
				en.CreateElement("w:OptimizeEnumeration")
				// MaxElements only means something in an Enumerate together
				// with OptimizeEnumeration (DSP0226 8.2.3).
				if opt.MaxElements > 0 {
					en.CreateElement("w:MaxElements").SetText(strconv.Itoa(opt.MaxElements))
				}
			}
		},
	}
}

// NewPull returns a WS-Enumeration Pull request for an enumeration context.
func NewPull(resourceURI, enumerationContext string, maxElements int) *Request {
	return &Request{
		Action:      ActionPull,
		ResourceURI: resourceURI,
		body: func(b *etree.Element) {
			p := b.CreateElement("n:Pull")
			p.CreateElement("n:EnumerationContext").SetText(enumerationContext)
			if maxElements > 0 {
				p.CreateElement("n:MaxElements").SetText(strconv.Itoa(maxElements))
			}
		},
	}
}

// NewRelease returns a WS-Enumeration Release request, which frees an
// enumeration context the client will not pull to the end.
func NewRelease(resourceURI, enumerationContext string) *Request {
	return &Request{
		Action:      ActionRelease,
		ResourceURI: resourceURI,
		body: func(b *etree.Element) {
			b.CreateElement("n:Release").CreateElement("n:EnumerationContext").SetText(enumerationContext)
		},
	}
}

// isIdentify reports whether r is an Identify, which has no addressing
// headers.
func (r *Request) isIdentify() bool { return r.Action == "" }

// Envelope serialises the request with the given headers. All text and
// attribute values are escaped; a value XML cannot carry (a control
// character, invalid UTF-8) is an error rather than silently replaced.
func (r *Request) Envelope(h Headers) ([]byte, error) {
	doc := etree.NewDocument()
	// Canonical escaping keeps \r, \t and \n in attribute values (selector
	// values) from being normalised to spaces by the receiver.
	doc.WriteSettings = etree.WriteSettings{CanonicalText: true, CanonicalAttrVal: true}
	env := doc.CreateElement("s:Envelope")
	env.CreateAttr("xmlns:s", NSSOAP)
	hdr := env.CreateElement("s:Header")
	body := etree.NewElement("s:Body")
	if !r.isIdentify() {
		env.CreateAttr("xmlns:a", NSAddressing)
		env.CreateAttr("xmlns:w", NSWSMan)
		env.CreateAttr("xmlns:p", NSMSWSMan)
		if r.Action == ActionEnumerate || r.Action == ActionPull || r.Action == ActionRelease {
			env.CreateAttr("xmlns:n", NSEnumeration)
		}
		if r.needsXSI() {
			env.CreateAttr("xmlns:xsi", NSXSI)
		}
		if err := r.writeHeaders(hdr, h); err != nil {
			return nil, err
		}
	}
	env.AddChild(body)
	if r.body != nil {
		r.body(body)
	}
	if err := checkXMLChars(env); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := doc.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (r *Request) writeHeaders(hdr *etree.Element, h Headers) error {
	if h.MessageID == "" {
		return errors.New("wsman: request has no MessageID")
	}
	if h.To == "" {
		return errors.New("wsman: request has no To address")
	}
	must := func(e *etree.Element) *etree.Element {
		e.CreateAttr("s:mustUnderstand", "true")
		return e
	}
	hdr.CreateElement("a:To").SetText(h.To)
	must(hdr.CreateElement("w:ResourceURI")).SetText(r.ResourceURI)
	must(hdr.CreateElement("a:ReplyTo").CreateElement("a:Address")).SetText(AnonymousAddress)
	must(hdr.CreateElement("a:Action")).SetText(r.Action)
	size := h.MaxEnvelopeSize
	if size <= 0 {
		size = DefaultMaxEnvelopeSize
	}
	must(hdr.CreateElement("w:MaxEnvelopeSize")).SetText(strconv.Itoa(size))
	hdr.CreateElement("a:MessageID").SetText(h.MessageID)
	locale := func(tag, lang string) {
		if lang == "" {
			lang = DefaultLocale
		}
		e := hdr.CreateElement(tag)
		e.CreateAttr("xml:lang", lang)
		// Windows faults on mustUnderstand="true" here.
		e.CreateAttr("s:mustUnderstand", "false")
	}
	locale("w:Locale", h.Locale)
	dataLocale := h.DataLocale
	if dataLocale == "" {
		dataLocale = h.Locale
	}
	locale("p:DataLocale", dataLocale)
	if h.OperationTimeout > 0 {
		hdr.CreateElement("w:OperationTimeout").SetText(formatDuration(h.OperationTimeout))
	}
	if len(r.Selectors) > 0 {
		set := hdr.CreateElement("w:SelectorSet")
		for _, s := range r.Selectors {
			e := set.CreateElement("w:Selector")
			e.CreateAttr("Name", s.Name)
			e.SetText(s.Value)
		}
	}
	if len(r.Options) > 0 {
		set := hdr.CreateElement("w:OptionSet")
		for _, o := range r.Options {
			e := set.CreateElement("w:Option")
			e.CreateAttr("Name", o.Name)
			if o.MustComply {
				e.CreateAttr("MustComply", "true")
			}
			if o.Type != "" {
				e.CreateAttr("Type", o.Type)
			}
			e.SetText(o.Value)
		}
	}
	return nil
}

// needsXSI reports whether the body uses xsi:nil, so that the prefix is
// declared only when needed.
func (r *Request) needsXSI() bool {
	if r.body == nil {
		return false
	}
	probe := etree.NewElement("probe")
	r.body(probe)
	found := false
	walk(probe, func(e *etree.Element) {
		for _, a := range e.Attr {
			if a.Space == "xsi" {
				found = true
			}
		}
	})
	return found
}

// formatDuration writes d as an xs:duration in seconds with milliseconds,
// the form Windows itself sends ("PT60.000S").
func formatDuration(d time.Duration) string {
	ms := d.Milliseconds()
	return fmt.Sprintf("PT%d.%03dS", ms/1000, ms%1000)
}

// InvalidValueError reports a name or value a request cannot carry: XML 1.0
// has no way to send invalid UTF-8 or most control characters, and etree
// would silently replace them with U+FFFD, asking for something else than
// the caller meant. The request is not sent.
type InvalidValueError struct {
	// Where names the value's place in the envelope, such as
	// "text of Selector" or "element name".
	Where string
	Value string
	// Reason says what is wrong with it.
	Reason string
}

func (e *InvalidValueError) Error() string {
	return fmt.Sprintf("wsman: %s %q %s", e.Where, e.Value, e.Reason)
}

// checkXMLChars rejects names and values that XML 1.0 cannot carry.
func checkXMLChars(root *etree.Element) error {
	var bad *InvalidValueError
	check := func(what, s string) {
		if bad != nil {
			return
		}
		if !utf8.ValidString(s) {
			bad = &InvalidValueError{Where: what, Value: s, Reason: "is not valid UTF-8"}
			return
		}
		for _, r := range s {
			if !isXMLChar(r) {
				bad = &InvalidValueError{Where: what, Value: s, Reason: fmt.Sprintf("holds character %U, which XML cannot carry", r)}
				return
			}
		}
	}
	walk(root, func(e *etree.Element) {
		check("element name", e.Tag)
		if bad == nil && !isXMLName(e.Tag) {
			bad = &InvalidValueError{Where: "element name", Value: e.Tag, Reason: "is not a usable element name"}
		}
		for _, a := range e.Attr {
			check("attribute "+a.Key, a.Value)
		}
		for _, t := range e.Child {
			if cd, ok := t.(*etree.CharData); ok {
				check("text of "+e.Tag, cd.Data)
			}
		}
	})
	if bad != nil {
		return bad
	}
	return nil
}

// isXMLName is a conservative check of an element's local name: a letter
// or underscore, then letters, digits, '_', '-' and '.'.
func isXMLName(s string) bool {
	for i, r := range s {
		ok := r == '_' || unicode.IsLetter(r) || (i > 0 && (unicode.IsDigit(r) || r == '-' || r == '.'))
		if !ok {
			return false
		}
	}
	return s != ""
}

// isXMLChar reports whether r is in XML 1.0's Char production.
func isXMLChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD ||
		(r >= 0x20 && r <= 0xD7FF) ||
		(r >= 0xE000 && r <= 0xFFFD) ||
		(r >= 0x10000 && r <= 0x10FFFF)
}
