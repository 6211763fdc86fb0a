package cim_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"
	"github.com/cimjob/cimjob/cim"
)

// A SOAP client checks a reply with CheckXML before etree parses it, and
// reads NULL output parameters with IsNil.
func ExampleIsNil() {
	reply := []byte(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"
    xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><s:Body>
  <p:GetError_OUTPUT xmlns:p="urn:job"><p:Error i:nil="true"/><p:ReturnValue>0</p:ReturnValue></p:GetError_OUTPUT>
</s:Body></s:Envelope>`)
	if err := cim.CheckXML(reply, cim.Limits{}); err != nil {
		fmt.Println(err)
		return
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(reply); err != nil {
		fmt.Println(err)
		return
	}
	out := doc.Root().ChildElements()[0].ChildElements()[0]
	for _, param := range out.ChildElements() {
		fmt.Println(param.Tag, cim.IsNil(param))
	}
	// Output:
	// Error true
	// ReturnValue false
}

func ExampleCheckXML() {
	flat := "<r>" + strings.Repeat("<b/>", 100) + "</r>"
	err := cim.CheckXML([]byte(flat), cim.Limits{MaxElements: 50})
	fmt.Println(errors.Is(err, cim.ErrTooMany))
	fmt.Println(err)
	// Output:
	// true
	// cim: decoding XML: more than 50 elements: input exceeds count limit
}

// A reply with more attributes on one element than Limits.MaxAttributes
// is refused with an error that names the limit.
func ExampleLimitError() {
	var b strings.Builder
	b.WriteString("<r")
	for i := range 300 {
		fmt.Fprintf(&b, ` a%d=""`, i)
	}
	b.WriteString("/>")
	err := cim.CheckXML([]byte(b.String()), cim.Limits{})
	var le *cim.LimitError
	if errors.As(err, &le) {
		fmt.Println(le.Limit, le.Max)
	}
	fmt.Println(err)
	// Output:
	// MaxAttributes 256
	// cim: decoding XML: an element has 300 attributes: exceeds Limits.MaxAttributes (256)
}

// A decoder resolves the namespaces of a parsed reply once and matches
// elements on namespace URI and local name through them, whatever the
// prefixes.
func ExampleResolveNamespaces() {
	doc := etree.NewDocument()
	if err := doc.ReadFromString(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>
  <x:Item xmlns:x="urn:a"/><x:Item xmlns:x="urn:b"/><Item xmlns="urn:a"/>
</s:Body></s:Envelope>`); err != nil {
		fmt.Println(err)
		return
	}
	ns := cim.ResolveNamespaces(doc.Root())
	for _, item := range doc.Root().ChildElements()[0].ChildElements() {
		fmt.Println(item.FullTag(), ns.URI(item), ns.Is(item, "urn:a", "Item"))
	}
	// Output:
	// x:Item urn:a true
	// x:Item urn:b false
	// Item urn:a true
}
