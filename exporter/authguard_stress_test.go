package exporter

import (
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Under many concurrent probes, reloads and gauge reads (go test -race),
// the guard lets at most one half-open probe of a module, and of a
// target, be under way. A ticket is counted out before its report, so a
// second half-open probe let through early shows.
func TestAuthGuardConcurrentStress(t *testing.T) {
	g, clock := testGuard()
	var fp [32]byte
	var openModule atomic.Int32
	var openTarget [8]atomic.Int32
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(seed int64) {
			defer wg.Done()
			rnd := rand.New(rand.NewSource(seed))
			for i := 0; i < 3000; i++ {
				n := rnd.Intn(len(openTarget))
				tk, err := g.admit("m", fmt.Sprint("h", n), fp)
				if err != nil {
					if rnd.Intn(50) == 0 {
						clock.advance(time.Minute)
					}
					continue
				}
				switch tk.halfOpen {
				case halfOpenModule:
					if openModule.Add(1) > 1 {
						t.Error("two half-open probes of the module at once")
					}
				case halfOpenTarget:
					if openTarget[n].Add(1) > 1 {
						t.Errorf("two half-open probes of h%d at once", n)
					}
				}
				var res error
				switch rnd.Intn(3) {
				case 0:
					res = errRefused
				case 1:
					res = fmt.Errorf("reset")
				}
				switch tk.halfOpen {
				case halfOpenModule:
					openModule.Add(-1)
				case halfOpenTarget:
					openTarget[n].Add(-1)
				}
				g.report(tk, res, rnd.Intn(2) == 0)
				if rnd.Intn(500) == 0 {
					// A reload that keeps the module.
					g.forget(func(string, [32]byte) bool { return true })
				}
				g.held("m")
			}
		}(int64(w))
	}
	wg.Wait()
}
