package simulator

import (
	"context"
	"net"
	"net/http"
	"sync"
)

// ConnStats count what happened on one TCP connection.
type ConnStats struct {
	// ID numbers connections from 1 in the order they were accepted.
	ID         int
	RemoteAddr string
	// Requests is every HTTP request, handshake legs included.
	Requests int
	// Handshakes counts security contexts established on the connection,
	// HandshakesFailed the handshakes that ended in a refusal.
	Handshakes       int
	HandshakesFailed int
	// Sealed counts sealed (multipart/encrypted) requests unsealed.
	Sealed int
	// User is the last user authenticated on the connection.
	User string
}

// maxConnStats bounds the per-connection records a long-running simulator
// keeps; the totals in Stats go on counting beyond it.
const maxConnStats = 1 << 16

// connState is the security state of one TCP connection: NTLM and
// Kerberos contexts belong to a connection, never to a request or a user.
type connState struct {
	// mu serialises the context: its sequence numbers and cipher state
	// follow the order of messages on the connection.
	mu      sync.Mutex
	pending Acceptor // a handshake under way
	ctx     Acceptor // the established context

	// stats is guarded by Server.mu; recorded says whether Stats lists it.
	stats    ConnStats
	recorded bool
}

type connKey struct{}

// ConnContext gives each connection its own security state. Start and
// StartTLS install it; install it as http.Server.ConnContext when mounting
// the Server elsewhere, or Negotiate handshakes cannot complete (each
// request would start afresh).
func (s *Server) ConnContext(ctx context.Context, c net.Conn) context.Context {
	cs := &connState{}
	s.mu.Lock()
	s.stats.Connections++
	s.nconn++
	cs.stats = ConnStats{ID: s.nconn, RemoteAddr: c.RemoteAddr().String()}
	if len(s.conns) < maxConnStats {
		s.conns = append(s.conns, cs)
		cs.recorded = true
	}
	s.live[c] = cs
	s.mu.Unlock()
	return context.WithValue(ctx, connKey{}, cs)
}

// connClosed drops a closed connection's contexts (its counters stay).
func (s *Server) connClosed(c net.Conn, st http.ConnState) {
	if st != http.StateClosed && st != http.StateHijacked {
		return
	}
	s.mu.Lock()
	cs := s.live[c]
	delete(s.live, c)
	s.mu.Unlock()
	if cs != nil {
		cs.mu.Lock()
		cs.pending, cs.ctx = nil, nil
		cs.mu.Unlock()
	}
}

// connOf returns the request's connection state: a fresh, unrecorded one
// when the handler runs without ConnContext.
func connOf(r *http.Request) *connState {
	if cs, ok := r.Context().Value(connKey{}).(*connState); ok {
		return cs
	}
	return &connState{stats: ConnStats{RemoteAddr: r.RemoteAddr}}
}
