// Package oneline folds text onto one line, so that every message the
// project prints or returns is one line whatever a host put in it.
package oneline

import "strings"

// Fold replaces each run of white space (newlines included) with one
// space and trims both ends.
func Fold(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
