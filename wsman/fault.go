package wsman

import "github.com/cimjob/cimjob/cim"

// QName is an XML qualified name resolved to its namespace URI.
type QName struct {
	Space string // namespace URI
	Local string
}

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
	// Action is the reply's wsa:Action, if any.
	Action string
	// HTTPStatus is the status of the HTTP reply that carried the fault.
	HTTPStatus int
	// WSMan is the s:Detail/f:WSManFault detail, if any. Nested provider
	// faults hang off it.
	WSMan *WSManFault
	// CIMError is an MSFT_WmiError / CIM_Error instance found in the detail
	// (directly, or in a provider fault's ExtendedError), decoded with cim.
	CIMError *cim.Error
	// Detail keeps the raw s:Detail text content for anything not decoded.
	DetailText string
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
}
