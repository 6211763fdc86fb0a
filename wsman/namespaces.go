package wsman

import "strings"

// XML namespace URIs of the protocols WinRM speaks.
const (
	NSSOAP        = "http://www.w3.org/2003/05/soap-envelope"
	NSAddressing  = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	NSWSMan       = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
	NSMSWSMan     = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
	NSEnumeration = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
	NSTransfer    = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
	NSIdentity    = "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"
	NSWSCIM       = "http://schemas.dmtf.org/wbem/wscim/1/common"
	NSWSManFault  = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
	NSXSI         = "http://www.w3.org/2001/XMLSchema-instance"
	NSCIMBinding  = "http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd"
)

// Well-known URIs.
const (
	AnonymousAddress   = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
	WMIResourcePrefix  = "http://schemas.microsoft.com/wbem/wsman/1/wmi/"
	DMTFResourcePrefix = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
	WQLDialect         = "http://schemas.microsoft.com/wbem/wsman/1/WQL"
)

// WMIResourceURI returns the resource URI of a WMI class in a namespace
// ("root\\virtualization\\v2" or "root/virtualization/v2"), as MS-WSMV
// 3.1.4.1.1 forms it.
func WMIResourceURI(namespace, class string) string {
	ns := strings.Trim(strings.ReplaceAll(namespace, `\`, "/"), "/")
	return WMIResourcePrefix + ns + "/" + class
}
