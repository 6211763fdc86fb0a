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

// TestRetryableConnError holds both transports to one rule on which
// failed connections are worth another attempt; whether the request may
// go again at all is mayResend's (TestMayResend).
func TestRetryableConnError(t *testing.T) {
	live := context.Background()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	reset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	timeout := &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want bool
	}{
		{"refused", live, refused, true},
		{"reset", live, reset, true},
		{"broken pipe", live, fmt.Errorf("write: %w", syscall.EPIPE), true},
		{"EOF", live, io.EOF, true},
		{"unexpected EOF", live, io.ErrUnexpectedEOF, true},
		{"network timeout", live, timeout, true},
		{"temporary DNS failure", live, &net.DNSError{Err: "server misbehaving", IsTemporary: true}, true},
		{"unknown name", live, &net.DNSError{Err: "no such host", IsNotFound: true}, false},
		{"untrusted certificate", live, x509.UnknownAuthorityError{}, false},
		{"proxy refused", live, &ProxyError{Status: "407 Proxy Authentication Required"}, false},
		{"context done", done, reset, false},
		{"something else", live, errors.New("odd"), false},
	}
	for _, tc := range tests {
		if got := retryableConnError(tc.ctx, tc.err); got != tc.want {
			t.Errorf("%s: retryable = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestMayResend: a request that reached the service goes again only when
// it is idempotent.
func TestMayResend(t *testing.T) {
	plain, idem := context.Background(), withIdempotent(context.Background())
	tests := []struct {
		name    string
		ctx     context.Context
		reached bool
		want    bool
	}{
		{"not reached", plain, false, true},
		{"not reached, idempotent", idem, false, true},
		{"reached", plain, true, false},
		{"reached, idempotent", idem, true, true},
	}
	for _, tc := range tests {
		if got := mayResend(tc.ctx, tc.reached); got != tc.want {
			t.Errorf("%s: mayResend = %v, want %v", tc.name, got, tc.want)
		}
	}
}
