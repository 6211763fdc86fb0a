package wsman

import "errors"

// Kinds of fault, matched with errors.Is: errors.Is(err, ErrNotFound) is
// true when err is, or wraps, a *Fault of that kind. Each kind lists every
// shape Windows uses for it (docs/wire.md, Faults); to test a subcode or a
// WSManFault code of your own, use errors.As and Fault.Subcode or
// Fault.HasCode.
var (
	// ErrNotFound: the instance the selectors name is not there, such as a
	// job the host has removed. Windows answers w:InvalidSelectors (code
	// 2150858843), or, looking up a missing WMI instance,
	// a:DestinationUnreachable with code 2150858752.
	ErrNotFound = errors.New("wsman: no such instance")
	// ErrMethodNotFound: the class has no such method, as an older host
	// answers GetErrorEx: a:ActionNotSupported, or a CIM error with CIM
	// status 16 or 17 (CIM_ERR_METHOD_NOT_AVAILABLE,
	// CIM_ERR_METHOD_NOT_FOUND).
	ErrMethodNotFound = errors.New("wsman: no such method")
	// ErrAccessDenied: the account may not do this, refused by WinRM
	// (w:AccessDenied, code 2147942405) or by WMI (2150859012,
	// 2150859013). A login the service refuses is an *AuthError instead.
	ErrAccessDenied = errors.New("wsman: access denied")
	// ErrTimedOut: the service gave up within the OperationTimeout
	// (w:TimedOut, code 2150858793).
	ErrTimedOut = errors.New("wsman: operation timed out")
	// ErrInvalidEnumerationContext: an enumeration context expired or is
	// unknown to the service (n:InvalidEnumerationContext).
	ErrInvalidEnumerationContext = errors.New("wsman: enumeration context expired or unknown")
)

// CIM status codes (DSP0004) that say a method is missing.
const (
	cimErrMethodNotAvailable = 16
	cimErrMethodNotFound     = 17
)

// Is reports whether f is of the kind target names (ErrNotFound,
// ErrMethodNotFound, ErrAccessDenied, ErrTimedOut,
// ErrInvalidEnumerationContext), for errors.Is.
func (f *Fault) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return f.Subcode == (QName{NSWSMan, "InvalidSelectors"}) || f.HasCode(CodeInvalidSelectors) ||
			(f.Subcode == QName{NSAddressing, "DestinationUnreachable"} && f.HasCode(CodeResourceNotFound))
	case ErrMethodNotFound:
		if f.Subcode == (QName{NSAddressing, "ActionNotSupported"}) {
			return true
		}
		if ce := f.CIMError; ce != nil && ce.CIMStatusCode != nil {
			v := ce.CIMStatusCode.Value
			return v == cimErrMethodNotAvailable || v == cimErrMethodNotFound
		}
		return false
	case ErrAccessDenied:
		return f.Subcode == (QName{NSWSMan, "AccessDenied"}) ||
			f.HasCode(CodeAccessDenied) || f.HasCode(CodeWMIAccessDenied) || f.HasCode(CodeWMIAccessDenied2)
	case ErrTimedOut:
		return f.Subcode == (QName{NSWSMan, "TimedOut"}) || f.HasCode(CodeTimedOut)
	case ErrInvalidEnumerationContext:
		return f.Subcode == (QName{NSEnumeration, "InvalidEnumerationContext"})
	}
	return false
}

// HasCode reports whether code is the code of any WSManFault in f, the
// service's or a provider's nested in it.
func (f *Fault) HasCode(code uint32) bool {
	for _, w := range f.chain() {
		if w.Code == code {
			return true
		}
	}
	return false
}
