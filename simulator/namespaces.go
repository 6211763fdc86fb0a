package simulator

// XML namespaces the simulator reads and writes. They are spelled out here
// rather than taken from package wsman so that a typo on either side shows
// up as a failing exchange instead of agreeing with itself.
const (
	nsSOAP       = "http://www.w3.org/2003/05/soap-envelope"
	nsAddressing = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	nsWSMan      = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
	nsMSWSMan    = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
	nsIdentity   = "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"

	wmiPrefix  = "http://schemas.microsoft.com/wbem/wsman/1/wmi/"
	dmtfPrefix = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"

	actionGet       = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
	actionEnumerate = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"
	actionPull      = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull"
	actionRelease   = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Release"
)

// minEnvelopeSize is the smallest MaxEnvelopeSize Windows accepts.
const minEnvelopeSize = 8192
