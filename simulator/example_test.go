package simulator_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"strings"

	"github.com/cimjob/cimjob/simulator"
)

// A loopback simulator of the demo host, as tests and `cimjob demo` start it.
func ExampleNew() {
	s, err := simulator.New(simulator.Options{Scenario: "default.json"})
	if err != nil {
		panic(err)
	}
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer s.Close()
	_ = url // "http://127.0.0.1:NNNNN/wsman"
	for _, j := range s.Jobs()[:2] {
		fmt.Println(j.Profile, j.InstanceID, j.Title)
	}
	// Output:
	// hyperv 5F1E2D3C-4B5A-4000-8000-000000000001 Start of VM 'web-01' failed: not enough memory (one error)
	// hyperv 5F1E2D3C-4B5A-4000-8000-000000000002 Export of VM 'db-02' failed (three errors)
}

// An HTTPS host as hardened.json describes it; a client trusts CertPEM.
func ExampleServer_StartTLS() {
	s, err := simulator.New(simulator.Options{Scenario: "hardened.json"})
	if err != nil {
		panic(err)
	}
	url, err := s.StartTLS("127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer s.Close()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.CertPEM())
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("<not-soap/>"))
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	req.SetBasicAuth("demo", "demo-password")
	resp, err := client.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(strings.HasPrefix(url, "https://"), resp.StatusCode, s.Stats().AuthFailures)
	// Output: true 500 0
}
