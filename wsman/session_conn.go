package wsman

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/internal/gss"
	"github.com/cimjob/cimjob/internal/ntlm"
)

var (
	aLongTimeAgo = time.Unix(1, 0)
	noDeadline   time.Time
)

// maxReplyHead bounds the status line and headers of one reply.
const maxReplyHead = 64 << 10

// sessConn is one connection of a SessionTransport and the security
// context established on it. It is used by one call at a time; the
// context never moves to another connection.
type sessConn struct {
	conn     net.Conn
	budget   budgetReader
	br       *bufio.Reader
	bw       *bufio.Writer
	proxy    *url.URL
	bindings *ntlm.ChannelBindings
	sec      gss.Context // nil until the handshake has finished

	idleSince time.Time
	watch     chan error // the idle watcher's verdict
}

func newSessConn(d *dialed) *sessConn {
	c := &sessConn{conn: d.conn, proxy: d.proxy, bindings: d.bindings}
	c.budget.r = d.conn
	// Room for a whole reply head, which readHead needs.
	c.br = bufio.NewReaderSize(&c.budget, maxReplyHead)
	c.bw = bufio.NewWriter(d.conn)
	return c
}

// budgetReader fails once an exchange has read more than it allows, so
// that no reply, headers included, is read without bound.
type budgetReader struct {
	r    io.Reader
	left int64
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, cim.ErrTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

// exchangeResult is one HTTP request and its reply on a connection.
type exchangeResult struct {
	resp *http.Response
	body []byte
	// wrote is true once the whole request was handed to the network.
	wrote bool
	// reusable is true when the reply was read to its end and the service
	// did not ask to close.
	reusable bool
	// unsealed is true when body is the plaintext of a sealed reply.
	unsealed bool
}

// exchange writes one POST with header and body and reads the reply, its
// body bounded by bodyLimit, within ctx.
func (c *sessConn) exchange(ctx context.Context, u *url.URL, header http.Header, body []byte, bodyLimit int64) (exchangeResult, error) {
	var r exchangeResult
	stop := abortOnDone(ctx, c.conn)
	defer stop()
	req := &http.Request{
		Method:        http.MethodPost,
		URL:           u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        header,
		Host:          u.Host,
		ContentLength: int64(len(body)),
	}
	if len(body) > 0 {
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	write := req.Write
	if c.proxy != nil {
		if auth := proxyAuthorization(c.proxy); auth != "" {
			header.Set("Proxy-Authorization", auth)
		}
		write = req.WriteProxy
	}
	if err := write(c.bw); err != nil {
		return r, ctxErrOr(ctx, err)
	}
	if err := c.bw.Flush(); err != nil {
		return r, ctxErrOr(ctx, err)
	}
	r.wrote = true

	// The status line and headers get their own budget, so that they
	// cannot spend the body's; the body then gets its limit, with room
	// for chunked framing and trailers.
	c.budget.left = maxReplyHead
	if err := c.readHead(); err != nil {
		if errors.Is(err, cim.ErrTooLarge) {
			return r, &ResponseError{Reason: fmt.Sprintf("reply headers exceed %d bytes", maxReplyHead), Err: ErrHeadTooLarge}
		}
		return r, ctxErrOr(ctx, err)
	}
	// The whole head is buffered: what fails now is the head itself.
	resp, err := http.ReadResponse(c.br, req)
	if err != nil {
		return r, err
	}
	defer resp.Body.Close()
	c.budget.left = bodyLimit + 1 + maxReplyHead
	r.resp = resp
	if resp.ContentLength > bodyLimit {
		return r, &ResponseError{Reason: fmt.Sprintf("reply of %d bytes exceeds the %d-byte limit", resp.ContentLength, bodyLimit), Err: cim.ErrTooLarge, Limit: bodyLimit}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, bodyLimit+1))
	switch {
	case int64(len(data)) > bodyLimit || errors.Is(err, cim.ErrTooLarge):
		return r, &ResponseError{Reason: fmt.Sprintf("reply body exceeds the %d-byte limit", bodyLimit), Err: cim.ErrTooLarge, Limit: bodyLimit}
	case err != nil:
		return r, ctxErrOr(ctx, err)
	}
	r.body = data
	// Bytes beyond the reply were never asked for: do not trust the
	// connection with another request.
	r.reusable = !resp.Close && c.br.Buffered() == 0
	if stop() {
		r.reusable = false
	}
	return r, nil
}

// readHead buffers the status line and headers of a reply, up to the
// blank line that ends them, without consuming them. http.ReadResponse
// alone would take a line cut off by a read error (a timeout, the end of
// the stream, the size bound) for a whole one and report it malformed,
// losing the cause; here the read error is the result, and a head that
// does not end within maxReplyHead is cim.ErrTooLarge.
func (c *sessConn) readHead() error {
	scanned := 0
	for {
		buf, _ := c.br.Peek(c.br.Buffered())
		if headEnd(buf, scanned) {
			return nil
		}
		// The end may straddle what came and what is to come.
		scanned = max(len(buf)-2, 0)
		if len(buf) >= maxReplyHead {
			return cim.ErrTooLarge
		}
		if _, err := c.br.Peek(len(buf) + 1); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
}

// headEnd reports whether buf holds the blank line that ends a reply's
// head (CRLF CRLF, or bare LFs, which net/textproto accepts too), looking
// from offset from on.
func headEnd(buf []byte, from int) bool {
	for i := from; i < len(buf); i++ {
		if buf[i] != '\n' {
			continue
		}
		rest := buf[i+1:]
		if len(rest) > 0 && rest[0] == '\n' || len(rest) > 1 && rest[0] == '\r' && rest[1] == '\n' {
			return true
		}
	}
	return false
}

// ctxErrOr reports the context's error when it ended the I/O, so that
// the caller sees a deadline or a cancellation rather than "i/o timeout".
func ctxErrOr(ctx context.Context, err error) error {
	if ctx.Err() != nil && (errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, net.ErrClosed) || isTimeout(err)) {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// watchIdle starts watching an idle connection: if the service closes it,
// sends anything, or it stays idle past the timeout, the watcher removes
// it from the pool and closes it. take stops the watcher. t.mu must be
// held.
func (t *SessionTransport) watchIdle(c *sessConn) {
	c.idleSince = time.Now()
	// The watcher keeps its own channel: by the time it takes t.mu the
	// connection may have been taken, used and put back under a new
	// watcher, which alone may then remove it.
	watch := make(chan error, 1)
	c.watch = watch
	_ = c.conn.SetReadDeadline(c.idleSince.Add(t.cfg.IdleTimeout))
	go func() {
		c.budget.left = 1
		_, err := c.br.Peek(1)
		if err == nil {
			err = errUnsolicited
		}
		watch <- err
		if t.onWatcherWoke != nil {
			t.onWatcherWoke()
		}
		t.mu.Lock()
		mine := c.watch == watch && t.removeIdle(c)
		t.mu.Unlock()
		if mine {
			c.conn.Close()
			if t.onIdleClosed != nil {
				t.onIdleClosed()
			}
		}
		if t.onWatcherExit != nil {
			t.onWatcherExit()
		}
	}()
}

// putIdle returns a connection to the pool, dropping the oldest idle one
// when the pool already holds MaxConns. t.mu must be held.
func (t *SessionTransport) putIdle(c *sessConn) {
	if len(t.idle) >= t.cfg.MaxConns {
		oldest := t.idle[0]
		t.idle = append(t.idle[:0], t.idle[1:]...)
		// Its watcher wakes, finds it gone from the pool and leaves it.
		oldest.conn.Close()
	}
	t.idle = append(t.idle, c)
	t.watchIdle(c)
}

// take stops the watcher of a connection just removed from the pool and
// reports whether the connection is still fit for a request.
func (t *SessionTransport) take(c *sessConn) bool {
	_ = c.conn.SetReadDeadline(aLongTimeAgo)
	err := <-c.watch
	_ = c.conn.SetReadDeadline(noDeadline)
	fit := isTimeout(err) && c.br.Buffered() == 0 && time.Since(c.idleSince) < t.cfg.IdleTimeout
	if !fit {
		c.conn.Close()
	}
	return fit
}

// removeIdle removes c from the idle list; t.mu must be held.
func (t *SessionTransport) removeIdle(c *sessConn) bool {
	for i, ic := range t.idle {
		if ic == c {
			t.idle = append(t.idle[:i], t.idle[i+1:]...)
			return true
		}
	}
	return false
}
