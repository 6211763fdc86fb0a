package cim

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

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

// FormatCIMError names NewError in a DecodeError.
const FormatCIMError = "CIM_Error"

// NewError builds an Error from a decoded instance. It fails only when
// there is no instance: one bad value must not hide the Message beside it.
//
// Property names are matched without regard to case, as CIM names are;
// enumerations are read as decimal text and named with the CIM_Error value
// maps (CIMErrorErrorType, CIMErrorPerceivedSeverity, ...); every property CIM_Error does
// not define is kept, in order, in Extra. An enumeration that is NULL or
// empty (blank text) is nil. One that is not a single unsigned decimal
// number ("-1", "abc", two values) is nil too, and its property goes to
// Extra so that the raw text is still shown. The class name is not
// checked: any instance is read as far as its properties match CIM_Error.
// Errors are *DecodeError with Format FormatCIMError.
func NewError(inst *Instance) (*Error, error) {
	if inst == nil {
		return nil, decodeErrorf(FormatCIMError, nil, "no instance")
	}
	e := &Error{Class: inst.ClassName, Instance: inst}
	for i := range inst.Properties {
		p := &inst.Properties[i]
		ok := true
		switch strings.ToLower(p.Name) {
		case "owningentity":
			e.OwningEntity = scalarText(p)
		case "messageid":
			e.MessageID = scalarText(p)
		case "message":
			e.Message = scalarText(p)
		case "messagearguments":
			e.MessageArguments = texts(p)
		case "errortype":
			e.ErrorType, ok = enumProperty(p, CIMErrorErrorType)
		case "othererrortype":
			e.OtherErrorType = scalarText(p)
		case "perceivedseverity":
			e.PerceivedSeverity, ok = enumProperty(p, CIMErrorPerceivedSeverity)
		case "probablecause":
			e.ProbableCause, ok = enumProperty(p, CIMErrorProbableCause)
		case "probablecausedescription":
			e.ProbableCauseDescription = scalarText(p)
		case "recommendedactions":
			e.RecommendedActions = texts(p)
		case "errorsource":
			e.ErrorSource = scalarText(p)
		case "errorsourceformat":
			e.ErrorSourceFormat, ok = enumProperty(p, CIMErrorErrorSourceFormat)
		case "othererrorsourceformat":
			e.OtherErrorSourceFormat = scalarText(p)
		case "cimstatuscode":
			e.CIMStatusCode, ok = enumProperty(p, CIMErrorCIMStatusCode)
		case "cimstatuscodedescription":
			e.CIMStatusCodeDescription = scalarText(p)
		default:
			ok = false
		}
		if !ok {
			e.Extra = append(e.Extra, *p)
		}
	}
	return e, nil
}

// scalarText is the text of a string property, "" when NULL.
func scalarText(p *Property) string {
	s, _ := p.Text()
	return s
}

// texts is the elements of a string array (a scalar counts as one), nil
// when NULL. NULL elements become "" so that positions, which message
// placeholders refer to, are kept.
func texts(p *Property) []string {
	s, _ := p.Texts()
	return s
}

// enumProperty reads a numeric property and names it with the value map.
// NULL and blank text give nil; ok is false when the value is there but is
// not one unsigned decimal number, so that the caller can keep it raw.
func enumProperty(p *Property, m ValueMap) (e *Enum, ok bool) {
	if p.Null || len(p.Values) == 0 || (len(p.Values) == 1 && p.Values[0].Null) {
		return nil, true
	}
	if len(p.Values) > 1 {
		return nil, false
	}
	text := strings.TrimSpace(p.Values[0].Text)
	if text == "" {
		return nil, true // <p:PerceivedSeverity/>: sent, but with no value
	}
	n, err := strconv.ParseUint(text, 10, 64)
	if err != nil {
		return nil, false
	}
	v := m.Lookup(n)
	return &v, true
}

// Error returns a one-line summary: the formatted message and its ID.
func (e *Error) Error() string {
	msg := strings.Join(strings.Fields(e.FormattedMessage()), " ")
	if msg == "" {
		class := e.Class
		if class == "" {
			class = "CIM_Error"
		}
		msg = class + " without a message"
	}
	if e.MessageID != "" {
		msg += " (MessageID " + e.MessageID + ")"
	}
	return msg
}

// FormattedMessage fills the placeholders of Message from MessageArguments:
// Windows FormatMessage style (%1 to %99, with an optional !printf! part,
// %% for a percent sign) and .NET style ({0}, {1,10}, {0:x}, with {{ and
// }} for braces). A placeholder with no argument is left as it is. A
// Message without placeholders is returned unchanged; an empty Message
// with arguments gives the arguments joined by "; ".
func (e *Error) FormattedMessage() string {
	if e.Message == "" {
		return strings.Join(e.MessageArguments, "; ")
	}
	win, dotnet := hasWindowsPlaceholder(e.Message), hasDotNetPlaceholder(e.Message)
	if !win && !dotnet {
		return e.Message
	}
	return fillPlaceholders(e.Message, e.MessageArguments, win, dotnet)
}

func hasWindowsPlaceholder(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '%' && s[i+1] >= '1' && s[i+1] <= '9' {
			return true
		}
	}
	return false
}

func hasDotNetPlaceholder(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '{' {
			if _, _, ok := dotNetPlaceholder(s[i:]); ok {
				return true
			}
		}
	}
	return false
}

// dotNetPlaceholder parses "{N}", "{N,align}" or "{N:format}" at the start
// of s, returning N and the placeholder's length.
func dotNetPlaceholder(s string) (index, length int, ok bool) {
	j := 1
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == 1 || j-1 > 4 {
		return 0, 0, false
	}
	end := strings.IndexByte(s[j:], '}')
	if end < 0 || (end > 0 && s[j] != ',' && s[j] != ':') {
		return 0, 0, false
	}
	n, _ := strconv.Atoi(s[1:j])
	return n, j + end + 1, true
}

// windowsPlaceholder parses "%N" or "%N!fmt!" at the start of s (s[1] is a
// digit 1-9), returning the 1-based N and the placeholder's length.
func windowsPlaceholder(s string) (index, length int) {
	j := 2
	if j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	n, _ := strconv.Atoi(s[1:j])
	if j < len(s) && s[j] == '!' {
		if end := strings.IndexByte(s[j+1:], '!'); end >= 0 {
			j += end + 2
		}
	}
	return n, j
}

func fillPlaceholders(msg string, args []string, win, dotnet bool) string {
	var b strings.Builder
	for i := 0; i < len(msg); {
		c := msg[i]
		switch {
		case win && c == '%' && i+1 < len(msg) && msg[i+1] == '%':
			b.WriteByte('%')
			i += 2
			continue
		case win && c == '%' && i+1 < len(msg) && msg[i+1] >= '1' && msg[i+1] <= '9':
			n, l := windowsPlaceholder(msg[i:])
			if n <= len(args) {
				b.WriteString(args[n-1])
			} else {
				b.WriteString(msg[i : i+l])
			}
			i += l
			continue
		case dotnet && (c == '{' || c == '}') && i+1 < len(msg) && msg[i+1] == c:
			b.WriteByte(c)
			i += 2
			continue
		case dotnet && c == '{':
			if n, l, ok := dotNetPlaceholder(msg[i:]); ok {
				if n < len(args) {
					b.WriteString(args[n])
				} else {
					b.WriteString(msg[i : i+l])
				}
				i += l
				continue
			}
		}
		b.WriteByte(c)
		i++
	}
	return b.String()
}

// errorJSON fixes the JSON schema of an Error: every key is always
// present, NULL enumerations are null and NULL lists are [].
type errorJSON struct {
	Class                    string          `json:"class"`
	Message                  string          `json:"message"`
	FormattedMessage         string          `json:"formattedMessage"`
	MessageID                string          `json:"messageID"`
	MessageArguments         []string        `json:"messageArguments"`
	OwningEntity             string          `json:"owningEntity"`
	PerceivedSeverity        *Enum           `json:"perceivedSeverity"`
	ErrorType                *Enum           `json:"errorType"`
	OtherErrorType           string          `json:"otherErrorType"`
	ProbableCause            *Enum           `json:"probableCause"`
	ProbableCauseDescription string          `json:"probableCauseDescription"`
	CIMStatusCode            *Enum           `json:"cimStatusCode"`
	CIMStatusCodeDescription string          `json:"cimStatusCodeDescription"`
	ErrorSource              string          `json:"errorSource"`
	ErrorSourceFormat        *Enum           `json:"errorSourceFormat"`
	OtherErrorSourceFormat   string          `json:"otherErrorSourceFormat"`
	RecommendedActions       []string        `json:"recommendedActions"`
	ExtraProperties          []extraPropJSON `json:"extraProperties"`
}

type extraPropJSON struct {
	Name   string   `json:"name"`
	Type   Type     `json:"type"`
	Array  bool     `json:"array"`
	Null   bool     `json:"null"`
	Values []string `json:"values"`
}

// MarshalJSON encodes the stable schema described on errorJSON; extra
// properties carry their values as text (an embedded instance as a
// one-line summary).
func (e *Error) MarshalJSON() ([]byte, error) {
	out := errorJSON{
		Class:                    e.Class,
		Message:                  e.Message,
		FormattedMessage:         e.FormattedMessage(),
		MessageID:                e.MessageID,
		MessageArguments:         nonNil(e.MessageArguments),
		OwningEntity:             e.OwningEntity,
		PerceivedSeverity:        e.PerceivedSeverity,
		ErrorType:                e.ErrorType,
		OtherErrorType:           e.OtherErrorType,
		ProbableCause:            e.ProbableCause,
		ProbableCauseDescription: e.ProbableCauseDescription,
		CIMStatusCode:            e.CIMStatusCode,
		CIMStatusCodeDescription: e.CIMStatusCodeDescription,
		ErrorSource:              e.ErrorSource,
		ErrorSourceFormat:        e.ErrorSourceFormat,
		OtherErrorSourceFormat:   e.OtherErrorSourceFormat,
		RecommendedActions:       nonNil(e.RecommendedActions),
		ExtraProperties:          make([]extraPropJSON, 0, len(e.Extra)),
	}
	for _, p := range e.Extra {
		x := extraPropJSON{Name: p.Name, Type: p.Type, Array: p.Array, Null: p.Null, Values: make([]string, 0, len(p.Values))}
		for _, v := range p.Values {
			x.Values = append(x.Values, valueText(v, 0))
		}
		out.ExtraProperties = append(out.ExtraProperties, x)
	}
	// Messages quote markup ("<see event log>"); keep it readable rather
	// than \u003c-escaped, which is only needed inside HTML.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// maxSummaryDepth bounds how far valueText descends into embedded
// instances; decoders bound depth already, this keeps summaries short.
const maxSummaryDepth = 4

// valueText is the text of a value; an embedded instance is summarised as
// Class{Name=value, ...} (its CIM-XML text, if any, stays in the Instance).
func valueText(v Value, depth int) string {
	if v.Null {
		return ""
	}
	if v.Instance == nil {
		return v.Text
	}
	if depth >= maxSummaryDepth {
		return v.Instance.ClassName + "{...}"
	}
	parts := make([]string, 0, len(v.Instance.Properties))
	for _, p := range v.Instance.Properties {
		var val string
		switch {
		case p.Null:
			val = "NULL"
		case p.Array:
			elems := make([]string, len(p.Values))
			for i, el := range p.Values {
				elems[i] = valueText(el, depth+1)
			}
			val = "[" + strings.Join(elems, ", ") + "]"
		case len(p.Values) > 0:
			val = valueText(p.Values[0], depth+1)
		}
		parts = append(parts, p.Name+"="+val)
	}
	return v.Instance.ClassName + "{" + strings.Join(parts, ", ") + "}"
}
