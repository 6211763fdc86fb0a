package wsman

import (
	"bytes"
	"errors"
	"testing"

	"github.com/cimjob/cimjob/cim"
)

// A reply of many small elements is refused before a tree is built: it
// would cost many times its size in memory.
func TestParseResponseBoundsElementCount(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><x>`)
	for i := 0; i < 70000; i++ {
		b.WriteString("<b/>")
	}
	b.WriteString(`</x></s:Body></s:Envelope>`)
	_, err := ParseResponse(b.Bytes(), cim.Limits{})
	var re *ResponseError
	if !errors.As(err, &re) || !errors.Is(err, cim.ErrTooMany) {
		t.Fatalf("err = %v, want a *ResponseError wrapping cim.ErrTooMany", err)
	}
	// The same reply passes when the caller allows more elements.
	if _, err := ParseResponse(b.Bytes(), cim.Limits{MaxElements: 100000}); err != nil {
		t.Fatalf("with a larger limit: %v", err)
	}
}
