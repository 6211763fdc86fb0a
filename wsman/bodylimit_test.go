package wsman

import (
	"context"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestMaxReplyBytesLimit: a reply cap near the int64 maximum made the
// limit plus the slack for sealing, framing and headers wrap negative, so
// that every reply "exceeded" it. Above MaxReplyBytesLimit both transports
// refuse the configuration; at the limit a call works, sealed or not.
func TestMaxReplyBytesLimit(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", soapContentType)
		io.WriteString(w, soapOK)
	}))
	t.Cleanup(plain.Close)
	_, sealed := startNTLMServer(t, false, false)

	configs := map[string]func() Config{
		"plain": func() Config {
			cfg := fastConfig(plain.URL + "/wsman")
			cfg.Proxy = noProxy
			return cfg
		},
		"sealed": func() Config { return ntlmConfig(sealed, ntlmPassword) },
	}
	for name, base := range configs {
		for _, size := range []int64{math.MaxInt64, math.MaxInt64 - sealOverhead + 1, MaxReplyBytesLimit + 1} {
			cfg := base()
			cfg.Limits.MaxBytes = size
			if tr, err := NewTransport(cfg); err == nil {
				tr.Close()
				t.Errorf("%s: Limits.MaxBytes %d accepted", name, size)
			}
		}
		cfg := base()
		cfg.Limits.MaxBytes = MaxReplyBytesLimit
		tr, err := NewTransport(cfg)
		if err != nil {
			t.Fatalf("%s: Limits.MaxBytes at the limit: %v", name, err)
		}
		t.Cleanup(func() { tr.Close() })
		if name == "sealed" {
			err = invokeGetError(context.Background(), testClient(tr, sealed.URL+"/wsman"))
		} else {
			_, _, err = roundTrip(context.Background(), tr, []byte("<env/>"))
		}
		if err != nil {
			t.Errorf("%s: a call with Limits.MaxBytes at the limit: %v", name, err)
		}
	}
}
