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
