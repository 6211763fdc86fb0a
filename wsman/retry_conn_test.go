package wsman

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
)

// TestRetryableConnError holds both transports to one rule: a request that
// may have run is never resent, whatever the failure; one that cannot
// have reached the service is retried unless another attempt cannot help.
func TestRetryableConnError(t *testing.T) {
	live := context.Background()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	reset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	timeout := &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
	tests := []struct {
		name                   string
		ctx                    context.Context
		err                    error
		notWritten, mayHaveRun bool // the verdicts
	}{
		{"refused", live, refused, true, true},
		{"reset", live, reset, true, false},
		{"broken pipe", live, fmt.Errorf("write: %w", syscall.EPIPE), true, false},
		{"EOF", live, io.EOF, true, false},
		{"unexpected EOF", live, io.ErrUnexpectedEOF, true, false},
		{"network timeout", live, timeout, true, false},
		{"temporary DNS failure", live, &net.DNSError{Err: "server misbehaving", IsTemporary: true}, true, true},
		{"unknown name", live, &net.DNSError{Err: "no such host", IsNotFound: true}, false, false},
		{"untrusted certificate", live, x509.UnknownAuthorityError{}, false, false},
		{"proxy refused", live, &ProxyError{Status: "407 Proxy Authentication Required"}, false, false},
		{"context done", done, reset, false, false},
		{"something else", live, errors.New("odd"), false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := retryableConnError(tc.ctx, tc.err, false); got != tc.notWritten {
				t.Errorf("not written: retryable = %v, want %v", got, tc.notWritten)
			}
			if got := retryableConnError(tc.ctx, tc.err, true); got != tc.mayHaveRun {
				t.Errorf("may have run: retryable = %v, want %v", got, tc.mayHaveRun)
			}
		})
	}
}
