// Package buildinfo says which build of cimjob is running: version, commit
// and date as the release build stamped them with -ldflags, or else as the
// Go toolchain recorded them (module version for `go install module@v`,
// VCS revision and time for a build from a checkout).
//
// The release build sets, for example:
//
//	-X github.com/cimjob/cimjob/internal/buildinfo.version=v0.1.0
//	-X github.com/cimjob/cimjob/internal/buildinfo.commit=0123abc
//	-X github.com/cimjob/cimjob/internal/buildinfo.date=2026-11-29T20:00:00Z
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set by -ldflags -X; empty means "ask the build info".
var (
	version string
	commit  string
	date    string
)

// Unknown stands for a field neither the linker nor the toolchain recorded.
const Unknown = "unknown"

// Info is what a build knows about itself.
type Info struct {
	Version   string // v0.1.0, or "devel" for a build from a checkout
	Commit    string // VCS revision, with "-dirty" when the tree was modified
	Date      string // commit time (RFC 3339)
	GoVersion string // toolchain that built it
	Platform  string // GOOS/GOARCH
}

// Get returns the running binary's build information.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return get(version, commit, date, bi)
}

// get merges the stamped values with the toolchain's build info; a
// stamped value wins.
func get(v, c, d string, bi *debug.BuildInfo) Info {
	in := Info{Version: v, Commit: c, Date: d, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		if bi.GoVersion != "" {
			in.GoVersion = bi.GoVersion
		}
		if in.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			in.Version = bi.Main.Version
		}
		var rev, at string
		dirty := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if in.Commit == "" && rev != "" {
			in.Commit = rev
			if dirty {
				in.Commit += "-dirty"
			}
		}
		if in.Date == "" {
			in.Date = at
		}
	}
	if in.Version == "" {
		in.Version = "devel"
	}
	if in.Commit == "" {
		in.Commit = Unknown
	}
	if in.Date == "" {
		in.Date = Unknown
	}
	return in
}

// Text is what `NAME version` prints: the version on the first line, so
// that scripts can read it with head -1, then one field per line.
func (in Info) Text(name string) string {
	return fmt.Sprintf("%s %s\ncommit: %s\ndate:   %s\ngo:     %s %s\n", name, in.Version, in.Commit, in.Date, in.GoVersion, in.Platform)
}
