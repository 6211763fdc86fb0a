// Package testdeps holds the one rule for a test that needs an optional
// tool (a Debian package: pywinrm, python3-gssapi, MIT's KDC): on a
// developer machine without it the test skips, naming the package; under
// CI (CI set), whose set-up .ci/run installs every such package, it fails,
// so a missing package cannot turn CI green by skipping. It is for tests
// only.
package testdeps

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Missing ends t because an optional tool is missing; err says which and
// names its Debian package. It skips, or under CI fails.
func Missing(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") == "" {
		t.Skipf("%v (.ci/run installs it)", err)
	}
	t.Fatalf("%v: under CI this is a failure, since .ci/run installs it", err)
}

// CIScript is the CI set-up script, relative to the module root.
const CIScript = ".ci/run"

// CheckCIInstalls fails t unless CIScript installs each Debian package
// named, that is adds it to its install list with need+=(package): the
// probes and the script must agree on what an optional tool is called.
func CheckCIInstalls(t testing.TB, packages ...string) {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile(filepath.Join(root, CIScript))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range packages {
		if !strings.Contains(string(script), "need+=("+p+")") {
			t.Errorf("%s does not install %s, which a test probes for", CIScript, p)
		}
	}
}

// moduleRoot is the nearest directory at or above the working directory
// (a test's package directory) that holds go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}
