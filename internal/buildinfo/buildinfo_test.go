package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestGet(t *testing.T) {
	vcs := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/cimjob/cimjob", Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef"},
			{Key: "vcs.time", Value: "2026-11-29T20:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	installed := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/cimjob/cimjob", Version: "v0.1.0"},
	}
	tests := []struct {
		name          string
		v, c, d       string
		bi            *debug.BuildInfo
		wantV, wantC  string
		wantD, wantGo string
	}{
		{"stamped by the release build", "v0.1.0", "abc", "2026-11-29T19:00:00Z", vcs, "v0.1.0", "abc", "2026-11-29T19:00:00Z", "go1.26.8"},
		{"built from a checkout", "", "", "", vcs, "devel", "0123456789abcdef-dirty", "2026-11-29T20:00:00Z", "go1.26.8"},
		{"go install module@version", "", "", "", installed, "v0.1.0", Unknown, Unknown, "go1.26.8"},
		{"no build info", "", "", "", nil, "devel", Unknown, Unknown, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := get(tt.v, tt.c, tt.d, tt.bi)
			if got.Version != tt.wantV || got.Commit != tt.wantC || got.Date != tt.wantD {
				t.Errorf("got %+v, want version %q commit %q date %q", got, tt.wantV, tt.wantC, tt.wantD)
			}
			if tt.wantGo != "" && got.GoVersion != tt.wantGo {
				t.Errorf("GoVersion = %q, want %q", got.GoVersion, tt.wantGo)
			}
		})
	}
}

func TestText(t *testing.T) {
	in := Info{Version: "v0.1.0", Commit: "abc", Date: "2026-11-29T20:00:00Z", GoVersion: "go1.26.8", Platform: "linux/amd64"}
	got := in.Text("cimjob")
	for _, want := range []string{"cimjob v0.1.0\n", "commit: abc\n", "date:   2026-11-29T20:00:00Z\n", "go:     go1.26.8 linux/amd64\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("Text lacks %q:\n%s", want, got)
		}
	}
	if !strings.HasPrefix(got, "cimjob v0.1.0\n") {
		t.Errorf("first line is not NAME VERSION:\n%s", got)
	}
}
