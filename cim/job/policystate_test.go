package job

import "testing"

func TestPolicyState(t *testing.T) {
	for _, tt := range []struct {
		name string
		want uint64
		ok   bool
	}{
		{"Killed", StateKilled, true}, {"killed", StateKilled, true}, {"TERMINATED", StateTerminated, true},
		{"Exception", 0, false}, {"Completed", 0, false}, {"Running", 0, false}, {"9", 0, false}, {"", 0, false},
	} {
		got, ok := PolicyState(tt.name)
		if got != tt.want || ok != tt.ok {
			t.Errorf("PolicyState(%q) = %d, %v; want %d, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}
