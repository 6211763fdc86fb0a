package secretfile

import (
	"io/fs"
	"runtime"
	"testing"
)

func TestOwnerOnly(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the mode bits say nothing on Windows")
	}
	for _, tt := range []struct {
		mode fs.FileMode
		want bool
	}{
		{0o600, true}, {0o400, true}, {0o700, true},
		{0o640, false}, {0o604, false}, {0o620, false}, {0o602, false}, {0o644, false},
	} {
		if got := OwnerOnly(tt.mode); got != tt.want {
			t.Errorf("OwnerOnly(%o) = %v, want %v", tt.mode, got, tt.want)
		}
	}
}
