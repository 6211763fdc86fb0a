package simulator

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// A WinRM listener answers at /wsman only.
func TestListenerServesOnlyWSMan(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(strings.TrimSuffix(url, "/wsman")+"/anything/else", "application/soap+xml;charset=UTF-8", strings.NewReader("<x/>"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("status %d, want 404", resp.StatusCode)
	}
	if st := s.Stats(); st.Rejected != 1 || st.Requests != 1 {
		t.Errorf("stats %+v", st)
	}
}

// A host with only an HTTPS listener cannot be started on plain HTTP.
func TestHTTPSOnlyHost(t *testing.T) {
	s, err := New(Options{Scenario: "hardened.json"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Start("127.0.0.1:0"); err == nil || !strings.Contains(err.Error(), "StartTLS") {
		t.Fatalf("Start = %v, want a refusal naming StartTLS", err)
	}
	if _, err := s.StartTLS("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
}

// http.Server.Close does not wait for connection goroutines, which may
// still report an error (a TLS handshake cut short) after it returns.
// Such late lines must not reach Logf: a test that passed t.Logf has
// ended by then, and the race detector fails the test running next.
func TestNoLogAfterClose(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	s, err := New(Options{Logf: func(format string, args ...any) {
		mu.Lock()
		lines = append(lines, fmt.Sprintf(format, args...))
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartTLS("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	errorLog := s.httpSrv.ErrorLog
	s.mu.Unlock()
	errorLog.Printf("before close")
	s.logRequest(httptest.NewRequest(http.MethodPost, "/wsman", nil), "before close")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// What a connection goroutine or a released handler does after Close.
	errorLog.Printf("http: TLS handshake error from 127.0.0.1:1: use of closed network connection")
	s.logRequest(httptest.NewRequest(http.MethodPost, "/wsman", nil), "after close")
	mu.Lock()
	defer mu.Unlock()
	if len(lines) != 2 {
		t.Errorf("Logf got %d lines, want the 2 from before Close: %q", len(lines), lines)
	}
}
