// Package manpage writes the section-1 man pages of a cobra command tree,
// the pages the release archives and packages install.
package manpage

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// Write writes a page for root and each of its visible commands to dir
// (created if missing). epoch, in seconds as $SOURCE_DATE_EPOCH gives the
// release commit's time, dates the pages so that a rebuild gives the same
// files; empty means today.
func Write(root *cobra.Command, dir, epoch string) error {
	hdr := &doc.GenManHeader{Title: root.Name(), Section: "1", Source: "cimjob", Manual: "cimjob manual"}
	if epoch != "" {
		sec, err := strconv.ParseInt(epoch, 10, 64)
		if err != nil {
			return fmt.Errorf("man: SOURCE_DATE_EPOCH %q is not a number of seconds", epoch)
		}
		date := time.Unix(sec, 0).UTC()
		hdr.Date = &date
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("man: %w", err)
	}
	root.DisableAutoGenTag = true // no "generated on" line that changes per build
	if err := doc.GenManTree(root, hdr, dir); err != nil {
		return fmt.Errorf("man: %w", err)
	}
	return nil
}

// Command is the hidden `man --dir DIR` command that writes root's pages;
// the release build runs it to put them in the archives and packages.
// getenv reads $SOURCE_DATE_EPOCH.
func Command(root *cobra.Command, getenv func(string) string) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:    "man --dir DIR",
		Short:  "Write the man pages of every command to DIR",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return Write(root, dir, getenv("SOURCE_DATE_EPOCH"))
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "manpages", "directory to write the pages to (created if missing)")
	return cmd
}
