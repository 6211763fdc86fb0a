package pywinrmtest

import (
	"testing"

	"github.com/cimjob/cimjob/internal/testdeps"
)

// A package a probe names but CI does not install would skip its tests on
// a fresh machine and fail them under CI.
func TestCIInstallsEveryModule(t *testing.T) {
	var pkgs []string
	for _, m := range Modules {
		pkgs = append(pkgs, m.Package)
	}
	testdeps.CheckCIInstalls(t, pkgs...)
}
