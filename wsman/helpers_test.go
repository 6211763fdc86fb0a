package wsman

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/beevik/etree"
	"github.com/cimjob/cimjob/cim"
)

// requireCIM skips tests that need the cim decoders while cim's bodies are
// still stubs (the cim package is written in parallel).
func requireCIM(t testing.TB) {
	t.Helper()
	if !cimWorks() {
		t.Skip("cim.ParseWSCIM / cim.NewError not implemented yet")
	}
}

// cimWorks reports whether the cim decoders are implemented.
func cimWorks() bool {
	return func() (ok bool) {
		defer func() {
			if recover() != nil {
				ok = false
			}
		}()
		el := etree.NewElement("X")
		el.CreateElement("Message").SetText("m")
		inst, err := cim.ParseWSCIM(el, cim.Limits{})
		if err != nil {
			return true
		}
		_, _ = cim.NewError(inst)
		return true
	}()
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
