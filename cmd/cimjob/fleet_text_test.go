package main

import (
	"bytes"
	"testing"
)

// TestTableAlignsWideCharacters checks that columns stay aligned when a
// cell holds East Asian wide characters, which take two columns each.
func TestTableAlignsWideCharacters(t *testing.T) {
	tb := &table{}
	tb.header("NAME", "STATE")
	tb.row(cell{text: "仮想マシンの起動"}, cell{text: "Exception"})
	tb.row(cell{text: "Start VM"}, cell{text: ""})
	var b bytes.Buffer
	tb.write(&b)
	want := "NAME              STATE\n仮想マシンの起動  Exception\nStart VM          -\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
