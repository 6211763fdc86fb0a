package golden

import (
	"os"
	"path/filepath"
	"testing"
)

// fakeT records failures instead of failing the real test.
type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Helper()               {}
func (f *fakeT) Errorf(string, ...any) { f.failed = true }
func (f *fakeT) Fatalf(string, ...any) { f.failed = true }
func (f *fakeT) Fatal(...any)          { f.failed = true }

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "out.golden")
	Check(t, path, []byte("one"), true)
	if b, err := os.ReadFile(path); err != nil || string(b) != "one" {
		t.Fatalf("update wrote %q, %v", b, err)
	}
	Check(t, path, []byte("one"), false)
	f := &fakeT{TB: t}
	Check(f, path, []byte("two"), false)
	if !f.failed {
		t.Error("a differing output passed")
	}
	f = &fakeT{TB: t}
	Check(f, filepath.Join(t.TempDir(), "missing"), []byte("x"), false)
	if !f.failed {
		t.Error("a missing golden file passed")
	}
}
