package main

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// checkValue refuses a value of flag that names nothing or cannot be sent:
// a blank one, invalid UTF-8, or a control character (which XML cannot
// carry, or which would name a different thing than the one shown). The
// library refuses what XML cannot carry too, but cannot name the flag.
// ifBlank says what to do instead of a blank value.
func checkValue(flag, v, ifBlank string) error {
	if !utf8.ValidString(v) {
		return &usageError{fmt.Errorf("%s %q is not valid UTF-8", flag, v)}
	}
	if strings.TrimSpace(v) == "" {
		return &usageError{fmt.Errorf("%s is blank: %s", flag, ifBlank)}
	}
	for _, r := range v {
		// XML also lacks the non-characters U+FFFE and U+FFFF.
		if unicode.IsControl(r) || r == 0xFFFE || r == 0xFFFF {
			return &usageError{fmt.Errorf("%s %q holds the character %U, which cannot be sent: give the value without it", flag, v, r)}
		}
	}
	return nil
}
