package oneline

import "testing"

func TestFold(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"one", "one"},
		{"  two\n\tlines \r\n", "two lines"},
		{"a\u00a0b", "a b"}, // non-breaking space is white space too
	} {
		if got := Fold(tc.in); got != tc.want {
			t.Errorf("Fold(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
