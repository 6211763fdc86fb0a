package manpage

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestWrite(t *testing.T) {
	root := &cobra.Command{Use: "tool", Short: "a tool", Run: func(*cobra.Command, []string) {}}
	sub := &cobra.Command{Use: "sub", Short: "a sub-command", Run: func(*cobra.Command, []string) {}}
	sub.Flags().String("flavour", "", "the flavour")
	root.AddCommand(sub, &cobra.Command{Use: "secret", Hidden: true, Run: func(*cobra.Command, []string) {}})
	dir := filepath.Join(t.TempDir(), "man")
	if err := Write(root, dir, "1767225600"); err != nil {
		t.Fatal(err)
	}
	for page, want := range map[string]string{"tool.1": `.TH "tool" "1" "Jan 2026"`, "tool-sub.1": `\fB--flavour\fP`} {
		b, err := os.ReadFile(filepath.Join(dir, page))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %q:\n%s", page, want, b)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "tool-secret.1")); err == nil {
		t.Error("a hidden command got a page")
	}
	if err := Write(root, dir, "yesterday"); err == nil || !strings.Contains(err.Error(), "SOURCE_DATE_EPOCH") {
		t.Errorf("bad epoch: %v", err)
	}
}
