package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cimjob/cimjob/simulator"
)

// --hosts writes its hosts file, by default, to a fixed name in the shared
// temporary directory with os.WriteFile (no O_EXCL, follows links): the
// predictable-path hole that issue 6 finding 8 closed for the CA file. A
// local user who plants a link there makes the simulator overwrite the
// victim's file; one who plants a writable file of their own can change
// the URLs afterwards.
func TestReviewHostsFileCannotBePlanted(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	victim := filepath.Join(tmp, "victim")
	if err := os.WriteFile(victim, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(tmp, "cimjob-sim-hosts.txt")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	ready := make(chan string, 1)
	ff := &fleetFlags{hosts: 1, jobs: 1, latency: 1}
	go func() {
		errc <- serveFleet(ctx, ff, "", "fleet.json", simulator.Options{}, false, &syncBuffer{}, ready)
	}()
	select {
	case <-ready:
		cancel()
		<-errc
	case err := <-errc:
		t.Logf("serveFleet: %v", err)
	}
	if b, err := os.ReadFile(victim); err != nil || string(b) != "mine" {
		t.Errorf("the file the planted link points to now holds %q (%v), want it left alone", b, err)
	}
}
