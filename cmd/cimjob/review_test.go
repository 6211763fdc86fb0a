package main

import (
	"strings"
	"testing"
)

// What a reply head cut off or over its bound says (issue 6, finding 7).
func TestReviewReplyHeadCauses(t *testing.T) {
	t.Run("head over its bound: the hint names a flag that cannot help", func(t *testing.T) {
		// maxReplyHead (64 KiB) is fixed; --max-response-bytes bounds the
		// body only, so "raise --max-response-bytes" is wrong advice, even
		// when it is already at its maximum.
		var flood strings.Builder
		flood.WriteString("HTTP/1.1 200 OK\r\n")
		for flood.Len() <= 64<<10 {
			flood.WriteString("X-Filler: abcdefghijklmnopqrstuvwxyz\r\n")
		}
		host := rawHost(t, flood.String(), true)
		r := runCLI(t, demoEnv(), "error", "--host", host, "--allow-unencrypted", "--timeout", "5s", "--retries", "0",
			"--max-response-bytes", "1073741824", "--skip-job", "--job", "J1")
		if r.code != exitNoAnswer {
			t.Fatalf("exit %d; stderr %q", r.code, r.stderr)
		}
		if strings.Contains(r.stderr, "raise --max-response-bytes") {
			t.Errorf("with --max-response-bytes at its maximum the failure still says to raise it: %q", r.stderr)
		}
	})
	t.Run("status line cut by the timeout: the request was sent", func(t *testing.T) {
		// The NTLM leg was written whole; the host then sent "HTTP/" and
		// nothing more. The cause is the wait for the reply, not sending.
		host := rawHost(t, "HTTP/", true)
		r := runCLI(t, demoEnv(), "error", "--host", host, "--allow-unencrypted", "--timeout", "1s", "--retries", "0",
			"--skip-job", "--job", "J1")
		if r.code != exitNoAnswer {
			t.Fatalf("exit %d; stderr %q", r.code, r.stderr)
		}
		if strings.Contains(r.stderr, "sending the request") {
			t.Errorf("a request written whole is reported as timed out sending: %q", r.stderr)
		}
	})
}
