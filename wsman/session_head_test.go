package wsman

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cimjob/cimjob/cim"
)

// exchangeCut runs one exchange whose reply stalls or hangs up after reply.
func exchangeCut(t *testing.T, reply string, hangUp bool) error {
	t.Helper()
	// The deadline only ends a reply that stalls; nothing is timed.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := exchangePeer(t, ctx, reply, hangUp, 1<<20)
	return err
}

// TestExchangeReplyHeadCut holds the reader of a reply's status line and
// headers to reporting what cut them off: a read that timed out or ended
// as that, a head over its bound as too large, and only a line that
// arrived whole and is wrong as malformed.
func TestExchangeReplyHeadCut(t *testing.T) {
	var manyLines strings.Builder
	manyLines.WriteString("HTTP/1.1 200 OK\r\n")
	for manyLines.Len() <= maxReplyHead {
		manyLines.WriteString("X-Filler: abcdefghijklmnopqrstuvwxyz\r\n")
	}
	isTimeoutErr := func(err error) bool { return errors.Is(err, context.DeadlineExceeded) || isTimeout(err) }
	tooLarge := func(err error) bool {
		var re *ResponseError
		return errors.As(err, &re) && errors.Is(err, ErrHeadTooLarge) && !errors.Is(err, cim.ErrTooLarge) && strings.Contains(re.Reason, "reply headers exceed")
	}
	tests := []struct {
		name   string
		reply  string
		hangUp bool
		want   func(error) bool
		what   string
	}{
		{"status line cut by a timeout", "HTTP/", false, isTimeoutErr, "a timeout"},
		{"headers cut by a timeout", "HTTP/1.1 200 OK\r\nContent-Ty", false, isTimeoutErr, "a timeout"},
		{"blank line never comes", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n", false, isTimeoutErr, "a timeout"},
		{"status line cut by the end of the stream", "HTTP/1.1 2", true, isUnexpectedEOF, "io.ErrUnexpectedEOF"},
		{"headers cut by the end of the stream", "HTTP/1.1 200 OK\r\nContent-Ty", true, isUnexpectedEOF, "io.ErrUnexpectedEOF"},
		{"nothing before the end of the stream", "", true, isUnexpectedEOF, "io.ErrUnexpectedEOF"},
		{"many short header lines over the bound", manyLines.String(), false, tooLarge, "a *ResponseError wrapping ErrHeadTooLarge"},
		{"one long header line over the bound", "HTTP/1.1 200 OK\r\nX-Pad: " + strings.Repeat("h", maxReplyHead), false, tooLarge, "a *ResponseError wrapping ErrHeadTooLarge"},
		{"a whole header line without a colon", "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", true, malformed("malformed MIME header"), "malformed"},
		{"a whole status line that is not HTTP", "HTTP/x 200 OK\r\n\r\n", true, malformed("malformed HTTP version"), "malformed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := exchangeCut(t, tc.reply, tc.hangUp)
			if !tc.want(err) {
				t.Fatalf("err = %v (%T), want %s", err, err, tc.what)
			}
			if tc.what != "malformed" && err != nil && strings.Contains(err.Error(), "malformed") {
				t.Errorf("err = %v: a reply cut off is not malformed", err)
			}
		})
	}
}

func isUnexpectedEOF(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }

func malformed(what string) func(error) bool {
	return func(err error) bool {
		var re *ResponseError
		return err != nil && strings.Contains(err.Error(), what) && !errors.As(err, &re)
	}
}
