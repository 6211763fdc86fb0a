package krbtest_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cimjob/cimjob/internal/krb/krbtest"
	"github.com/cimjob/cimjob/internal/testdeps"
)

// The harness itself: a realm comes up, MIT's own kinit logs in against it,
// and klist shows the TGT.
func TestStartAndKinit(t *testing.T) {
	krbtest.Need(t, "kinit", "klist")
	k := krbtest.Start(t)
	ctx := context.Background()
	if err := k.AddUser(ctx, "alice", "Alice-Pw1"); err != nil {
		t.Fatal(err)
	}
	cc := filepath.Join(k.Dir, "cc")
	if err := k.Kinit(ctx, "alice", "Alice-Pw1", cc); err != nil {
		t.Fatal(err)
	}
	out, err := k.Run(ctx, "klist", "-c", "FILE:"+cc)
	if err != nil {
		t.Fatal(err)
	}
	if want := "krbtgt/" + k.Realm + "@" + k.Realm; !strings.Contains(string(out), want) {
		t.Errorf("klist shows no %s:\n%s", want, out)
	}
	if err := k.Kinit(ctx, "alice", "wrong", filepath.Join(k.Dir, "cc2")); err == nil {
		t.Error("kinit with a wrong password succeeded")
	}
}

// A package the probes name but CI does not install would skip its tests
// on a fresh machine and fail them under CI.
func TestCIInstallsEveryPackage(t *testing.T) {
	testdeps.CheckCIInstalls(t, krbtest.Packages()...)
}
