package termtext

import (
	"testing"
	"unicode/utf8"
)

func TestSanitize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "Virtual machine 'web01' failed", "Virtual machine 'web01' failed"},
		{"newline and tab kept", "a\n\tb", "a\n\tb"},
		{"CSI sequence", "\x1b[31mred\x1b[0m", "\uFFFD[31mred\uFFFD[0m"},
		{"OSC title", "\x1b]0;pwned\x07", "\uFFFD]0;pwned\uFFFD"},
		{"carriage return", "ok\rEVIL", "ok\uFFFDEVIL"},
		{"DEL", "a\x7fb", "a\uFFFDb"},
		{"C1 CSI", "a\u009b31mb", "a\uFFFD31mb"},
		{"C1 NEL", "a\u0085b", "a\uFFFDb"},
		{"RLO", "file\u202Etxt.exe", "file\uFFFDtxt.exe"},
		{"isolates", "\u2066a\u2067b\u2068c\u2069", "\uFFFDa\uFFFDb\uFFFDc\uFFFD"},
		{"marks", "\u200e\u200f\u061c", "\uFFFD\uFFFD\uFFFD"},
		{"invalid UTF-8", "a\xffb\xc3", "a\uFFFDb\uFFFD"},
		{"non-Latin kept", "Ошибка 障害", "Ошибка 障害"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Sanitize(tt.in)
			if got != tt.want {
				t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("Sanitize(%q) = %q is not UTF-8", tt.in, got)
			}
		})
	}
}
