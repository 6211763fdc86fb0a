package cim

import (
	"errors"
	"strings"
)

// Type is a CIM data type as named by DSP0004 ("uint16", "string", ...).
// The zero value means the encoding did not say.
type Type string

// The CIM data types (DSP0004 5.2).
const (
	TypeUnknown   Type = ""
	TypeBoolean   Type = "boolean"
	TypeString    Type = "string"
	TypeChar16    Type = "char16"
	TypeUint8     Type = "uint8"
	TypeSint8     Type = "sint8"
	TypeUint16    Type = "uint16"
	TypeSint16    Type = "sint16"
	TypeUint32    Type = "uint32"
	TypeSint32    Type = "sint32"
	TypeUint64    Type = "uint64"
	TypeSint64    Type = "sint64"
	TypeReal32    Type = "real32"
	TypeReal64    Type = "real64"
	TypeDatetime  Type = "datetime"
	TypeReference Type = "reference"
	// TypeInstance marks an embedded instance (EmbeddedInstance/EmbeddedObject
	// qualifier in CIM-XML, a nested typed element in WS-CIM).
	TypeInstance Type = "instance"
)

// ErrNull is returned by the typed accessors of a Property whose value is NULL.
var ErrNull = errors.New("cim: value is NULL")

// Value is one scalar value, or one element of an array value.
type Value struct {
	// Text is the lexical form as sent, with XML escaping and CDATA
	// sections already resolved. Empty text is not NULL.
	Text string
	// Null is set for VALUE.NULL / xsi:nil elements of an array.
	Null bool
	// Instance is set when the value is an embedded instance.
	Instance *Instance
	// Datetime is set when the value was carried as a datetime
	// (cim:Datetime, cim:Interval, cim:CIM_DateTime or a DMTF string in a
	// datetime-typed property) and parsed.
	Datetime *Datetime
}

// Property is one property of an Instance.
type Property struct {
	Name string
	Type Type
	// Array is set for a CIM-XML PROPERTY.ARRAY, whatever it holds, and
	// for a WS-CIM property whose element is sent more than once. WS-CIM
	// marks no arrays and the decoder is given no schema (xsi:type names
	// only the element type), so a WS-CIM array of one element decodes as
	// a scalar with one Value, and a NULL array as a NULL scalar: read
	// either with Texts, which treats a scalar as a list of one.
	Array bool
	// Null is set when the whole property is NULL: no VALUE, a VALUE.NULL,
	// or xsi:nil="true". An empty string is not NULL.
	Null bool
	// Values holds one Value for a non-NULL scalar, and the elements of an
	// array in order.
	Values []Value
	// ClassOrigin and Propagated are the DSP0201 attributes of that name.
	ClassOrigin string
	Propagated  bool
}

// Instance is a CIM instance: a class name and its properties in document
// order.
type Instance struct {
	ClassName string
	// Namespace is where the instance was said to come from: the WS-CIM
	// resource namespace URI of its elements, or a CIM namespace path when
	// the encoding carried one. It may be empty.
	Namespace  string
	Properties []Property
}

// Property returns the property with the given name, compared without
// regard to case as CIM names are, or nil if the instance has none.
func (i *Instance) Property(name string) *Property {
	if i == nil {
		return nil
	}
	for k := range i.Properties {
		if strings.EqualFold(i.Properties[k].Name, name) {
			return &i.Properties[k]
		}
	}
	return nil
}
