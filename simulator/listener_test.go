package simulator

import (
	"net/http"
	"strings"
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
