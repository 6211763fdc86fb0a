package cim

import "github.com/beevik/etree"

// ParseWSCIM decodes a DSP0230 WS-CIM instance element: el's children are
// the properties (matched by local name; any namespace), xsi:nil="true"
// marks NULL, repeated elements form arrays, xsi:type may type values, and
// cim:Datetime / cim:Interval / cim:CIM_DateTime children are datetimes.
// The class name comes from xsi:type ("p:CIM_Error_Type" -> "CIM_Error"),
// else from the element's namespace URI ending in "/<Class>", else from
// the element's local name.
func ParseWSCIM(el *etree.Element, lim Limits) (*Instance, error) {
	panic("unimplemented: owned by the cim helper")
}
