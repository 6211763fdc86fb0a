package wsman

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
)

// TestSessionStaleWatcherLeavesReusedConnection holds the first idle
// watcher back after take() has stopped it, until the connection has been
// used again and put back under a new watcher: the stale watcher must then
// leave the connection alone.
func TestSessionStaleWatcherLeavesReusedConnection(t *testing.T) {
	s, hs := startNTLMServer(t, false, false)
	tr := newSession(t, ntlmConfig(hs, ntlmPassword))
	release, exited := make(chan struct{}), make(chan struct{}, 8)
	var woke, closed atomic.Int32
	tr.onWatcherWoke = func() {
		if woke.Add(1) == 1 {
			<-release
		}
	}
	tr.onWatcherExit = func() { exited <- struct{}{} }
	tr.onIdleClosed = func() { closed.Add(1) }
	c := testClient(tr, hs.URL+"/wsman")

	callN(t, c, 2) // the second call stops the first watcher, which then waits
	close(release)
	<-exited // the first watcher is done

	tr.mu.Lock()
	idle := len(tr.idle)
	tr.mu.Unlock()
	if idle != 1 || closed.Load() != 0 {
		t.Fatalf("%d idle connections, %d closed by a watcher; want 1 and 0", idle, closed.Load())
	}
	callN(t, c, 1)
	wantCounts(t, s, 1, 1, 5)
}

// TestPutIdleKeepsMaxConns checks that the pool never holds more than
// MaxConns idle connections, the oldest going first.
func TestPutIdleKeepsMaxConns(t *testing.T) {
	tr := &SessionTransport{cfg: Config{MaxConns: 2, IdleTimeout: DefaultIdleTimeout}}
	var conns []*sessConn
	for range 3 {
		client, server := net.Pipe()
		t.Cleanup(func() { server.Close(); client.Close() })
		conns = append(conns, newSessConn(&dialed{conn: client}))
	}
	tr.mu.Lock()
	for _, c := range conns {
		tr.putIdle(c)
	}
	got := append([]*sessConn(nil), tr.idle...)
	tr.mu.Unlock()
	if len(got) != 2 || got[0] != conns[1] || got[1] != conns[2] {
		t.Fatalf("idle pool holds %d connections, want the newest 2", len(got))
	}
	// The dropped connection is closed: its watcher's read fails at once.
	if err := <-conns[0].watch; !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("oldest connection's watcher saw %v, want it closed", err)
	}
	tr.Close()
}
