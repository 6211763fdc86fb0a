// Package secretfile holds the one rule for a file that holds a secret (a
// password, a private key): no one but its owner may read or write it.
// The CLI's config file and the exporter's modules both apply it.
package secretfile

import (
	"io/fs"
	"runtime"
)

// OwnerOnly reports whether no one but the owner may read or write a file
// of this mode. On Windows the mode bits do not describe the file's ACL,
// so there is nothing to check.
func OwnerOnly(m fs.FileMode) bool {
	return runtime.GOOS == "windows" || m.Perm()&0o077 == 0
}
