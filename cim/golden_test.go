package cim

import (
	"bytes"
	"encoding/json"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cimjob/cimjob/internal/golden"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata from current output")

// checkGolden compares v, as indented JSON, with testdata/<name>; with
// -update it rewrites the file instead.
func checkGolden(t *testing.T, name string, v any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep markup in values readable in the diff
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatalf("marshal: %v", err)
	}
	golden.Check(t, filepath.Join("testdata", name), buf.Bytes(), *update)
}

// testdataFiles lists testdata files matching pattern, failing if none do
// so that a renamed directory cannot make a test pass vacuously.
func testdataFiles(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata matches %s (%v)", pattern, err)
	}
	return files
}

func goldenName(file string) string {
	return strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)) + ".golden.json"
}
