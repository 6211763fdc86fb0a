package cim

// Enum is an enumerated (ValueMap) value: the raw number as sent and its
// name. Values outside the listed entries take the name of the range that
// holds them ("DMTF Reserved", "Vendor Specific", ...).
type Enum struct {
	Value uint64 `json:"value"`
	Name  string `json:"name"`
	// Range is set when Name comes from a range ("x..y" or "..") rather than
	// an entry of its own.
	Range bool `json:"range,omitempty"`
	// Description is the per-value text from the schema, where it has one.
	Description string `json:"description,omitempty"`
}

// Error is a decoded CIM_Error or subclass instance (Msvm_Error,
// MSFT_WmiError). NULL enumerations are nil; NULL strings are "".
// It implements error.
type Error struct {
	Class                    string
	OwningEntity             string
	MessageID                string
	Message                  string
	MessageArguments         []string
	ErrorType                *Enum
	OtherErrorType           string
	PerceivedSeverity        *Enum
	ProbableCause            *Enum
	ProbableCauseDescription string
	RecommendedActions       []string
	ErrorSource              string
	ErrorSourceFormat        *Enum
	OtherErrorSourceFormat   string
	CIMStatusCode            *Enum
	CIMStatusCodeDescription string
	// Extra holds every property CIM_Error does not define (vendor and
	// subclass properties such as MSFT_WmiError.error_Code), in order.
	Extra []Property
	// Instance is the decoded instance this Error was built from.
	Instance *Instance
}

// NewError builds an Error from a decoded instance. Numbers that do not parse
// are an error; values outside a value map are not.
func NewError(inst *Instance) (*Error, error) {
	panic("unimplemented: owned by the cim helper")
}

// Error returns a one-line summary: the formatted message and its ID.
func (e *Error) Error() string {
	panic("unimplemented: owned by the cim helper")
}
