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
