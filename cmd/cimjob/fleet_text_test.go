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

// TestTableDropsEmptyColumn checks that a column no row fills (TYPE for
// jobs of a profile without JobType) is left out, and one that a row
// fills is kept.
func TestTableDropsEmptyColumn(t *testing.T) {
	for _, tc := range []struct {
		typ, want string
	}{
		{"", "ID  STATE\n1   Exception\n"},
		{"Export", "ID  TYPE    STATE\n1   Export  Exception\n"},
	} {
		tb := &table{}
		tb.header("ID", "TYPE", "STATE")
		tb.row(cell{text: "1"}, cell{text: tc.typ}, cell{text: "Exception"})
		tb.dropEmpty(1)
		var b bytes.Buffer
		tb.write(&b)
		if b.String() != tc.want {
			t.Errorf("type %q: got\n%s\nwant\n%s", tc.typ, b.String(), tc.want)
		}
	}
}
