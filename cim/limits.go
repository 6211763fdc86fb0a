package cim

// Limits bounds what a decoder reads. The zero value means DefaultLimits.
type Limits struct {
	// MaxBytes is the largest document (or embedded CIM-XML string) a
	// decoder accepts.
	MaxBytes int64
	// MaxDepth is the deepest element nesting a decoder accepts.
	MaxDepth int
	// MaxProperties bounds the properties of one instance and the elements
	// of one array.
	MaxProperties int
	// MaxElements bounds the elements of a whole document, counting those
	// of the CIM-XML strings embedded in it (and the strings of one reply
	// parsed through one Budget count together): depth alone does not
	// bound the memory a parsed tree takes.
	MaxElements int
	// MaxAttributes bounds the attributes (namespace declarations
	// included) of one element, and MaxTotalAttributes those of a whole
	// document with its embedded CIM-XML: attributes cost memory and
	// namespace resolution time as elements do. Windows puts about a
	// dozen on an Envelope and fewer on anything else.
	MaxAttributes      int
	MaxTotalAttributes int
}

// DefaultLimits are generous for any CIM_Error and small enough that a
// hostile document cannot exhaust memory.
var DefaultLimits = Limits{
	MaxBytes: 4 << 20, MaxDepth: 64, MaxProperties: 4096, MaxElements: 65536,
	MaxAttributes: 256, MaxTotalAttributes: 262144,
}

// WithDefaults returns l with each zero or negative field taken from
// DefaultLimits, so that a caller can set one bound and keep the others.
func (l Limits) WithDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultLimits.MaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	if l.MaxProperties <= 0 {
		l.MaxProperties = DefaultLimits.MaxProperties
	}
	if l.MaxElements <= 0 {
		l.MaxElements = DefaultLimits.MaxElements
	}
	if l.MaxAttributes <= 0 {
		l.MaxAttributes = DefaultLimits.MaxAttributes
	}
	if l.MaxTotalAttributes <= 0 {
		l.MaxTotalAttributes = DefaultLimits.MaxTotalAttributes
	}
	return l
}
