package simulator_test

import (
	"fmt"

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
