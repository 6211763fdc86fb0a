package wsman

import (
	"time"

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
	Type       string // xsi:type, optional
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
	// body is set by the constructors.
	body bodyWriter
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

// NewIdentify returns an Identify request (no Action, no ResourceURI).
func NewIdentify() *Request { panic("unimplemented: owned by the wsman helper") }

// NewGet returns a WS-Transfer Get of one instance.
func NewGet(resourceURI string, selectors ...Selector) *Request {
	panic("unimplemented: owned by the wsman helper")
}

// NewInvoke returns a request to invoke method on the instance the selectors
// name; Action is resourceURI + "/" + method and the body is
// <p:method_INPUT xmlns:p="resourceURI"> with params as children.
func NewInvoke(resourceURI, method string, selectors []Selector, params []Param) *Request {
	panic("unimplemented: owned by the wsman helper")
}

// NewEnumerate returns a WS-Enumeration Enumerate request.
func NewEnumerate(resourceURI string, opt EnumerateOptions) *Request {
	panic("unimplemented: owned by the wsman helper")
}

// NewPull returns a WS-Enumeration Pull request for an enumeration context.
func NewPull(resourceURI, enumerationContext string, maxElements int) *Request {
	panic("unimplemented: owned by the wsman helper")
}

// Envelope serialises the request with the given headers. All text and
// attribute values are escaped.
func (r *Request) Envelope(h Headers) ([]byte, error) {
	panic("unimplemented: owned by the wsman helper")
}
