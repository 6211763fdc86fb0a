package wsman

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/cimjob/cimjob/cim"
)

// TestErrorTextSaysItOnce: whatever layer added a prefix, the line says it
// once; a timeout says what it was waiting for.
func TestErrorTextSaysItOnce(t *testing.T) {
	dialErr := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"dial", &TransportError{Op: OpDial, URL: "http://h:5985/wsman", Err: dialErr},
			"connection to http://h:5985/wsman failed: dial tcp: connect: connection refused"},
		{"tls", &TransportError{Op: OpTLS, URL: "u", Err: errors.New("tls: first record does not look like a TLS handshake")},
			"connection to u failed: tls: first record does not look like a TLS handshake"},
		{"read", &TransportError{Op: OpRead, URL: "u", Err: errors.New("read tcp a->b: read: connection reset by peer")},
			"connection to u failed: read: connection reset by peer"},
		{"other op", &TransportError{Op: OpSend, URL: "u", Err: errors.New("broken pipe")},
			"connection to u failed: send: broken pipe"},
		{"reply timeout", &TransportError{Op: OpReply, URL: "u", Err: fmt.Errorf("%w (read tcp: i/o timeout)", context.DeadlineExceeded)},
			"connection to u failed: timed out waiting for the reply"},
		{"dial timeout", &TransportError{Op: OpDial, URL: "u", Err: context.DeadlineExceeded},
			"connection to u failed: timed out connecting"},
		{"cancelled", &TransportError{Op: OpReply, URL: "u", Err: context.Canceled},
			"connection to u failed: cancelled waiting for the reply"},
		{"malformed", &ResponseError{Reason: "malformed XML", Err: errors.New("cim: decoding XML: malformed XML: XML syntax error on line 1")},
			"invalid WS-Management reply: malformed XML: XML syntax error on line 1"},
		{"cause without the reason", &ResponseError{Reason: "decoding the instance", Err: errors.New("cim: bad datetime")},
			"invalid WS-Management reply: decoding the instance: cim: bad datetime"},
		{"size in the user's units", &ResponseError{Reason: "reply body exceeds the 8392704-byte limit", Err: cim.ErrTooLarge, Limit: 8 << 20},
			"invalid WS-Management reply: larger than the size limit of 8 MiB"},
		{"size without a limit", &ResponseError{Reason: "reply body exceeds the 100-byte limit", Err: cim.ErrTooLarge},
			"invalid WS-Management reply: reply body exceeds the 100-byte limit"},
		{"head over its bound", &ResponseError{Reason: "reply headers exceed 65536 bytes", Err: ErrHeadTooLarge},
			"invalid WS-Management reply: reply headers exceed 65536 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestWithCause(t *testing.T) {
	tests := []struct{ label, cause, want string }{
		{"tls", "tls: bad record MAC", "tls: bad record MAC"},
		{"dial", "dial tcp 10.0.0.1:5985: i/o timeout", "dial tcp 10.0.0.1:5985: i/o timeout"},
		{"malformed XML", "cim: malformed XML: x", "malformed XML: x"},
		{"send", "broken pipe", "send: broken pipe"},
		// A label inside a word, or not at a prefix boundary, is not a repeat.
		{"read", "unread: x", "read: unread: x"},
		{"XML", "malformed XML: x", "XML: malformed XML: x"},
		{"", "x", "x"},
		{"x", "", "x"},
	}
	for _, tt := range tests {
		if got := withCause(tt.label, tt.cause); got != tt.want {
			t.Errorf("withCause(%q, %q) = %q, want %q", tt.label, tt.cause, got, tt.want)
		}
	}
}

func TestByteSize(t *testing.T) {
	for n, want := range map[int64]string{
		8 << 20: "8 MiB", 1 << 30: "1 GiB", 4096: "4 KiB", 8<<20 + 4096: "8196 KiB", 1000: "1000 bytes", 0: "0 bytes",
	} {
		if got := ByteSize(n); got != want {
			t.Errorf("ByteSize(%d) = %q, want %q", n, got, want)
		}
	}
	if strings.Contains(ByteSize(8<<20+1), "MiB") {
		t.Error("a size that is not whole MiB must not be rounded")
	}
}
