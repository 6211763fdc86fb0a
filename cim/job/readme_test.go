package job_test

import (
	"os"
	"strings"
	"testing"
)

// TestREADMELibraryExample: the README's library example is the body of
// readme_example_test.go, which Example_readme compiles and runs, so the
// README cannot drift from code that works.
func TestREADMELibraryExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("readme_example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## As a library\n")
	if !ok {
		t.Fatal(`README.md has no "## As a library" section`)
	}
	_, block, ok := strings.Cut(section, "```go\n")
	if !ok {
		t.Fatal("the library section of README.md has no ```go block")
	}
	block, _, ok = strings.Cut(block, "```\n")
	if !ok {
		t.Fatal("the ```go block of README.md does not end")
	}
	const clause = "package job_test\n\n"
	want, ok := strings.CutPrefix(string(src), clause)
	if !ok {
		t.Fatalf("readme_example_test.go does not start with %q", clause)
	}
	if block == want {
		return
	}
	got, exp := strings.Split(block, "\n"), strings.Split(want, "\n")
	for i := range max(len(got), len(exp)) {
		var g, e string
		if i < len(got) {
			g = got[i]
		}
		if i < len(exp) {
			e = exp[i]
		}
		if g != e {
			t.Fatalf("README.md's library example differs from cim/job/readme_example_test.go (after its package clause) at line %d:\nREADME: %q\nsource: %q\ncopy the source into the README", i+1, g, e)
		}
	}
}
