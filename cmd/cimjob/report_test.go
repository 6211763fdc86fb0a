package main

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

// A hostile host must not reach the terminal with control sequences or
// bidirectional overrides, in values or in labels (vendor property names).
func TestTextOutputIsSanitized(t *testing.T) {
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	p := &textWriter{w: bw}
	p.field(1, "Evil\u009b2J\u202e", "value\x1b[31m red \u2066isolated\u2069")
	p.line(0, "line\x07bell")
	bw.Flush()
	for _, bad := range []string{"\x1b", "\u009b", "\u202e", "\u2066", "\u2069", "\x07"} {
		if strings.Contains(buf.String(), bad) {
			t.Errorf("output carries %q: %q", bad, buf.String())
		}
	}
	if got := oneLine("fault\u009b2J from\nhost\u202e"); strings.ContainsAny(got, "\u009b\u202e\n") {
		t.Errorf("oneLine(...) = %q", got)
	}
}
