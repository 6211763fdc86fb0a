package cim

import (
	"errors"
	"fmt"
)

// Formats named in DecodeError.Format.
const (
	FormatCIMXML   = "CIM-XML"
	FormatWSCIM    = "WS-CIM"
	FormatDatetime = "datetime"
	// FormatXML names CheckXML, which checks XML in no particular encoding of CIM.
	FormatXML = "XML"
)

// Sentinel causes a DecodeError may wrap; test for them with errors.Is.
var (
	// ErrTooLarge: the input is longer than Limits.MaxBytes.
	ErrTooLarge = errors.New("input exceeds size limit")
	// ErrTooDeep: elements nest deeper than Limits.MaxDepth.
	ErrTooDeep = errors.New("input exceeds depth limit")
	// ErrTooMany: an instance or array has more than Limits.MaxProperties
	// members, or a document more than Limits.MaxElements elements.
	ErrTooMany = errors.New("input exceeds count limit")
	// ErrDTD: the input carries a DOCTYPE, ENTITY or other declaration,
	// which no CIM encoding needs and entity-expansion attacks rely on.
	ErrDTD = errors.New("DTD and entity declarations are not accepted")
)

// LimitError says which field of Limits an input exceeded. A DecodeError
// wraps it; errors.Is(err, ErrTooMany) holds for it too, since every limit
// it names is a count.
type LimitError struct {
	// Limit is the name of the Limits field: "MaxAttributes" or
	// "MaxTotalAttributes".
	Limit string
	// Max is the value of that field the input exceeded.
	Max int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("exceeds Limits.%s (%d)", e.Limit, e.Max)
}

// Is makes a LimitError match ErrTooMany.
func (e *LimitError) Is(target error) bool { return target == ErrTooMany }

// DecodeError reports input a decoder could not turn into an Instance (or
// a Datetime). It wraps the underlying cause: an XML syntax error, a
// strconv error, or one of ErrTooLarge, ErrTooDeep, ErrTooMany, ErrDTD.
type DecodeError struct {
	// Format is FormatCIMXML, FormatWSCIM, FormatDatetime or FormatXML.
	Format string
	// Reason says what was wrong, in words.
	Reason string
	// Err is the underlying cause, if any.
	Err error

	// embedPath names the properties, outermost first, through which the
	// error was reached in embedded CIM-XML; embedReason is the reason
	// before they were put in front of it.
	embedPath, embedReason string
}

func (e *DecodeError) Error() string {
	msg := "cim: decoding " + e.Format
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying cause.
func (e *DecodeError) Unwrap() error { return e.Err }

func decodeErrorf(format string, cause error, reason string, args ...any) *DecodeError {
	return &DecodeError{Format: format, Reason: fmt.Sprintf(reason, args...), Err: cause}
}
