package wsman

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// hungServer accepts requests and never answers them until the test ends.
func hungServer(t *testing.T) *httptest.Server {
	release := make(chan struct{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hs.Close)
	t.Cleanup(func() { close(release) }) // runs first: handlers return, Close does not wait
	return hs
}

// TestHTTPTransportHungServerDefaultBound: a stalled service must not hold a call
// forever, neither under a context without a deadline (the call's own
// bound) nor under a long one (the bound on the wait for headers).
func TestHTTPTransportHungServerDefaultBound(t *testing.T) {
	for _, tc := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
	}{
		{"no deadline", func() (context.Context, context.CancelFunc) { return context.Background(), func() {} }},
		{"a long deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), time.Hour)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs := hungServer(t)
			cfg := fastConfig(hs.URL + "/wsman")
			cfg.CallTimeout = 50 * time.Millisecond
			cfg.Proxy = noProxy
			tr := newTransport(t, cfg)
			ctx, cancel := tc.ctx()
			defer cancel()
			_, err := tr.RoundTrip(ctx, []byte(soapOK))
			var te *TransportError
			if !errors.As(err, &te) || !te.Timeout() {
				t.Fatalf("err = %v, want a *TransportError that timed out", err)
			}
		})
	}
}

func TestCallTimeoutDefault(t *testing.T) {
	cfg, _, err := Config{URL: "http://h/wsman"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CallTimeout != DefaultCallTimeout {
		t.Fatalf("CallTimeout %v, want DefaultCallTimeout", cfg.CallTimeout)
	}
}
