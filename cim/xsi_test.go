package cim

import (
	"testing"

	"github.com/beevik/etree"
)

func TestIsNil(t *testing.T) {
	const xsi = `xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"`
	tests := []struct {
		xml  string
		want bool
	}{
		{`<a ` + xsi + ` xsi:nil="true"/>`, true},
		{`<a ` + xsi + ` xsi:nil="1"/>`, true},
		{`<a ` + xsi + ` xsi:nil=" true` + "\n" + `"/>`, true},
		{`<a xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:nil="1"/>`, true},
		{`<r ` + xsi + `><a xsi:nil="true"/></r>`, true}, // bound on an ancestor
		{`<a ` + xsi + ` xsi:nil="false"/>`, false},
		{`<a ` + xsi + ` xsi:nil="0"/>`, false},
		{`<a ` + xsi + ` xsi:nil="TRUE"/>`, false}, // XML Schema booleans are lower case
		{`<a ` + xsi + ` xsi:nil=""/>`, false},
		{`<a xmlns:xsi="urn:not-xsi" xsi:nil="true"/>`, false},
		{`<a nil="true"/>`, false},
		{`<a ` + xsi + `/>`, false},
	}
	for _, tc := range tests {
		doc := etree.NewDocument()
		if err := doc.ReadFromString(tc.xml); err != nil {
			t.Fatal(err)
		}
		el := doc.Root()
		if kids := el.ChildElements(); len(kids) > 0 {
			el = kids[0]
		}
		if got := IsNil(el); got != tc.want {
			t.Errorf("IsNil(%s) = %v, want %v", tc.xml, got, tc.want)
		}
	}
	if IsNil(nil) {
		t.Error("IsNil(nil) = true")
	}
}
