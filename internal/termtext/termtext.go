// Package termtext cleans text that came from a remote host before it
// reaches a terminal. It is the one implementation the CLI's reports and
// the wsman debug log share.
package termtext

import "strings"

// Sanitize keeps a hostile host from driving the terminal or disguising
// text: C0 and C1 control characters other than newline and tab, the
// bidirectional marks, overrides and isolates, and bytes that are not
// UTF-8 are replaced with U+FFFD, not sent.
func Sanitize(s string) string {
	// strings.Map hands each invalid byte to the mapping as U+FFFD and
	// writes it out encoded, so the result is always valid UTF-8.
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return '\uFFFD'
		case (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c:
			return '\uFFFD'
		}
		return r
	}, s)
}
