package job_test

import (
	"context"
	"testing"

	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/simulator"
	"github.com/cimjob/cimjob/wsman"
)

// TestHundredCallsOverSealedHTTP: 100 GetError calls to one host that
// refuses unencrypted messages, through one transport, make one NTLM
// handshake per TCP connection (counted by the host) and, once a
// connection is authenticated, one HTTP request per call.
func TestHundredCallsOverSealedHTTP(t *testing.T) {
	sim, client := simClient(t, "windows-default.json", wsman.NTLMAuth{Username: "demo", Password: "demo-password"})
	ref := job.Ref{Profile: job.HyperV(), InstanceID: "5F1E2D3C-4B5A-4000-8000-000000000002"}

	const calls = 100
	for i := 0; i < calls; i++ {
		res, err := job.GetErrors(context.Background(), client, ref, job.Options{Method: job.MethodGetError, SkipJob: true})
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if len(res.Errors) != 1 {
			t.Fatalf("call %d: %d errors", i, len(res.Errors))
		}
	}

	st := sim.Stats()
	if st.Unencrypted != 0 || st.Sealed != calls {
		t.Errorf("%d sealed and %d unencrypted messages, want %d sealed", st.Sealed, st.Unencrypted, calls)
	}
	if st.Handshakes != len(st.Conns) || st.HandshakesFailed != 0 {
		t.Errorf("%d handshakes (%d failed) on %d connections, want one each", st.Handshakes, st.HandshakesFailed, len(st.Conns))
	}
	legs := 0
	for _, c := range st.Conns {
		if c.Handshakes != 1 {
			t.Errorf("connection %d: %d handshakes", c.ID, c.Handshakes)
		}
		legs += c.Requests - c.Sealed
	}
	// The handshake's own legs are per connection, not per call.
	if got := st.Requests - legs; got != calls {
		t.Errorf("%d HTTP requests for %d calls beyond the handshakes (%d legs on %d connections)", got, calls, legs, len(st.Conns))
	}
	t.Logf("%d calls: %d connection(s), %d handshake(s), %d requests (%d handshake legs)", calls, len(st.Conns), st.Handshakes, st.Requests, legs)
}

// simClient starts a simulated host on loopback and returns it with a
// client that keeps its transport (and its connections) for the test.
func simClient(tb testing.TB, scenario string, auth wsman.Authenticator) (*simulator.Server, *wsman.Client) {
	tb.Helper()
	sim, err := simulator.New(simulator.Options{Scenario: scenario})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { sim.Close() })
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	client, err := wsman.NewClient(wsman.Config{URL: url, Auth: auth, AllowUnencrypted: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { client.Close() })
	return sim, client
}

// TestErrorMethodResentAfterBusy: GetError only reads the job, so GetErrors
// marks it idempotent and a 503 to it is retried, which the transports do
// only for requests so marked.
func TestErrorMethodResentAfterBusy(t *testing.T) {
	sim, client := simClient(t, "hostile.json", wsman.BasicAuth{Username: "demo", Password: "demo-password"})
	ref := job.Ref{Profile: job.HyperV(), InstanceID: "BAD0BAD0-0000-4000-8000-000000000008"} // 503 once, then the answer
	if _, err := job.GetErrors(context.Background(), client, ref, job.Options{Method: job.MethodGetError, SkipJob: true}); err != nil {
		t.Fatal(err)
	}
	if got := sim.Stats().Requests; got != 2 {
		t.Errorf("%d requests, want 2 (one 503, one retry)", got)
	}
}
