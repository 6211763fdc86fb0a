//go:build !linux && !darwin

package exporter_test

import "time"

// soakRaiseFDLimit: other systems have no RLIMIT_NOFILE to raise; the
// soak finds out when it opens its listeners.
func soakRaiseFDLimit(need uint64) (uint64, error) { return need, nil }

// soakCPU: not measured here.
func soakCPU() time.Duration { return 0 }
