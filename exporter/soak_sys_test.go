//go:build linux || darwin

package exporter_test

import (
	"syscall"
	"time"
)

// soakRaiseFDLimit raises the soft RLIMIT_NOFILE towards need (Go already
// raises it to the hard limit at start on these systems; this says so
// when even that is short) and returns the limit in force.
func soakRaiseFDLimit(need uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur >= need {
		return lim.Cur, nil
	}
	lim.Cur = min(need, lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	return lim.Cur, nil
}

// soakCPU is the CPU time the process has used, user and system.
func soakCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
