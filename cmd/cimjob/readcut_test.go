package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// loopbackTCP accepts connections on a loopback port until the test
// ends, handing each to serve in a goroutine of its own.
func loopbackTCP(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(c)
		}
	}()
	return ln.Addr().String()
}

// rawHost is a loopback service that reads each request and answers with
// reply, byte for byte; then it hangs up, or, with stall, keeps the
// connection open and silent until the test ends.
func rawHost(t *testing.T, reply string, stall bool) string {
	t.Helper()
	done := make(chan struct{})
	addr := loopbackTCP(t, func(c net.Conn) {
		defer c.Close()
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err != nil {
			return
		}
		io.Copy(io.Discard, req.Body)
		io.WriteString(c, reply)
		if stall {
			<-done
		}
	})
	t.Cleanup(func() { close(done) })
	return addr
}

// TestReplyHeadCut: a reply whose status line or headers are cut off is
// reported by what cut it (exit 3, kind transport, "timed out"), and a head
// over its bound as too large (kind response), never as malformed. The
// phase named is waiting for the reply, since the request (here an NTLM
// leg, which carries no envelope) was written whole; and the hint for a
// head over its fixed bound names no flag, as none raises it.
func TestReplyHeadCut(t *testing.T) {
	var flood strings.Builder
	// The bound falls inside a header name (before its colon).
	flood.WriteString("HTTP/1.1 200 OK\r\n")
	for flood.Len() <= 64<<10 {
		flood.WriteString("X-Filler: abcdefghijklmnopqrstuvwxyz\r\n")
	}
	tests := []struct {
		name, reply string
		stall       bool
		kind, says  string
		hint        string // in the hint; "" for any
	}{
		{"status line cut by the timeout", "HTTP/", true, "transport", "timed out waiting for the reply", "raise --timeout"},
		{"headers cut by the timeout", "HTTP/1.1 401 Unauthorized\r\nWWW-Authen", true, "transport", "timed out waiting for the reply", "raise --timeout"},
		{"headers cut by a hang-up", "HTTP/1.1 401 Unauthorized\r\nWWW-Authen", false, "transport", "waiting for the reply: unexpected EOF", ""},
		{"a whole status line that is not HTTP", "HTTP/x 200 OK\r\n\r\n", false, "transport", "waiting for the reply: malformed HTTP version", ""},
		{"head over its bound", flood.String(), true, "response", "reply headers exceed", "check that --host is a WinRM listener"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			host := rawHost(t, tc.reply, tc.stall)
			// --max-response-bytes at its maximum: still the hint must
			// not say to raise it for the head.
			r := runCLI(t, demoEnv(), "error", "--host", host, "--allow-unencrypted", "--timeout", "1s", "--retries", "0",
				"--max-response-bytes", "1073741824", "--skip-job", "--job", "J1", "-o", "json")
			if r.code != exitNoAnswer {
				t.Fatalf("exit %d, want %d; stdout %q stderr %q", r.code, exitNoAnswer, r.stdout, r.stderr)
			}
			var rep struct {
				Failure failure `json:"failure"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("bad JSON %q: %v", r.stdout, err)
			}
			f := rep.Failure
			if f.Kind != tc.kind || !strings.Contains(f.Message, tc.says) || strings.Contains(f.Message, "sending") ||
				strings.Contains(f.Message, "malformed") && !strings.Contains(tc.says, "malformed") {
				t.Errorf("failure = %+v, want kind %q saying %q", f, tc.kind, tc.says)
			}
			if !strings.Contains(f.Hint, tc.hint) || strings.Contains(f.Hint, "--max-response-bytes") {
				t.Errorf("hint %q, want %q", f.Hint, tc.hint)
			}
		})
	}
}
