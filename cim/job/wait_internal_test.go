package job

import (
	"testing"
	"time"
)

// The backoff stays within [PollMin, PollMax] whatever the jitter draws.
func TestJitterBounds(t *testing.T) {
	ms := time.Millisecond
	tests := []struct{ d, lo, hi time.Duration }{
		{500 * ms, 500 * ms, 15 * time.Second},
		{16 * time.Second, 500 * ms, 15 * time.Second},
		{8 * ms, 8 * ms, 8 * ms},
		{1, 1, 2},
	}
	for _, tc := range tests {
		spread := map[time.Duration]bool{}
		for i := 0; i < 200; i++ {
			got := jitter(tc.d, tc.lo, tc.hi)
			if got < tc.lo || got > tc.hi {
				t.Fatalf("jitter(%v, %v, %v) = %v, out of bounds", tc.d, tc.lo, tc.hi, got)
			}
			spread[got] = true
		}
		if tc.d == 500*ms && len(spread) < 2 {
			t.Errorf("jitter(%v) always %v: no jitter", tc.d, spread)
		}
	}
}
