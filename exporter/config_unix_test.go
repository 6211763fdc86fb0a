//go:build unix

package exporter

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/cimjob/cimjob/wsman"
)

// A password file that is a FIFO is refused without being opened:
// opening one to read blocks until something writes, which would hang a
// start or a reload (SIGHUP) for good.
func TestPasswordFileFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pw")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := ParseConfig([]byte("modules:\n  hv:\n    username: u\n    password_file: pw\n"), dir, nil)
		done <- err
	}()
	for {
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("FIFO as password file: %v", err)
			}
			return
		default:
		}
		// A writer opens without blocking only while a reader has the
		// FIFO open: the load is stuck in its open.
		w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			w.Close() // lets the stuck open go on, to an empty read
			t.Error("the load opened the FIFO and waited for a writer")
			<-done
			return
		}
		if !errors.Is(err, syscall.ENXIO) {
			t.Fatal(err)
		}
		runtime.Gosched()
	}
}

// A password file that systemd's LoadCredential= placed in the service's
// credentials directory loads: systemd (254 and later, on a tmpfs) makes it
// root's, mode 0400, and grants the service's user read with a POSIX ACL,
// which stat shows as mode 0440. The same mode elsewhere is still refused.
func TestPasswordFileSystemdCredential(t *testing.T) {
	creds, other := t.TempDir(), t.TempDir()
	for _, dir := range []string{creds, other} {
		pw := filepath.Join(dir, "cimjob-password")
		if err := os.WriteFile(pw, []byte("cred-secret\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(pw, 0o440); err != nil {
			t.Fatal(err)
		}
	}
	env := env(map[string]string{"CREDENTIALS_DIRECTORY": creds})
	y := "modules:\n  hv:\n    username: u\n    password_file: " + filepath.Join(creds, "cimjob-password") + "\n"
	cfg, err := ParseConfig([]byte(y), t.TempDir(), env)
	if err != nil {
		t.Fatalf("password file in $CREDENTIALS_DIRECTORY: %v", err)
	}
	if a := cfg.Modules["hv"].r.auth.(wsman.NTLMAuth); a.Password != "cred-secret" {
		t.Error("the credential was not read")
	}
	y = "modules:\n  hv:\n    username: u\n    password_file: " + filepath.Join(other, "cimjob-password") + "\n"
	if _, err := ParseConfig([]byte(y), t.TempDir(), env); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a mode 0440 password file outside the credentials directory: %v", err)
	}
}
