package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/cimjob/cimjob/simulator"
)

// syncBuffer lets the test read what serve has printed while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServePrintsAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	ready := make(chan string, 1)
	go func() {
		done <- serve(ctx, simulator.Options{Scenario: "default.json"}, "127.0.0.1:0", "", &out, ready)
	}()
	var url string
	select {
	case url = <-ready:
	case err := <-done:
		t.Fatalf("serve returned early: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{"HV01.corp.example", "User:  demo (Basic; its password is in scenarios/default.json)",
		"5F1E2D3C-4B5A-4000-8000-000000000001  Start of VM 'web-01' failed", "msps   9D8C7B6A-5E4F-4000-8000-000000000002"} {
		if !strings.Contains(text, want) {
			t.Errorf("banner lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "demo-password") {
		t.Errorf("banner prints the password:\n%s", text)
	}
	resp, err := http.Post(url, "application/soap+xml", strings.NewReader("<x/>"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	var out bytes.Buffer
	for _, args := range [][]string{{"--nope"}, {"extra"}, {"--scenario", "missing.json", "--listen", "127.0.0.1:0"}} {
		if err := run(args, &out, &out); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
