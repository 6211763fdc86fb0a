package wsman

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cimjob/cimjob/internal/msgenc"
)

// replyConn is a connection whose peer wrote reply and closed: reads come
// from reply, writes are discarded.
type replyConn struct {
	r    *bytes.Reader
	read int
}

func (c *replyConn) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n
	return n, err
}
func (c *replyConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *replyConn) Close() error                     { return nil }
func (c *replyConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *replyConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *replyConn) SetDeadline(time.Time) error      { return nil }
func (c *replyConn) SetReadDeadline(time.Time) error  { return nil }
func (c *replyConn) SetWriteDeadline(time.Time) error { return nil }

// stubSealer frames seeds; the reader never unseals.
type stubSealer struct{}

func (stubSealer) Seal(plain []byte) ([]byte, []byte, error) {
	return bytes.Repeat([]byte{0xA5}, 16), plain, nil
}

// FuzzExchangeReply feeds the session transport's reply reader (status
// line, headers, Content-Length and chunked bodies, the caps) whatever a
// host may send: it must never panic, never read beyond the head's and
// the body's budgets, never return a body over the limit, and report a
// head over its bound, or one the stream cut off, as such.
func FuzzExchangeReply(f *testing.F) {
	const limit = 4096
	sealed, err := msgenc.Encode(stubSealer{}, msgenc.ProtocolSPNEGO, []byte(soapOK))
	if err != nil {
		f.Fatal(err)
	}
	ok := func(extra, body string) string {
		return "HTTP/1.1 200 \r\n" + extra + "Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	}
	for _, seed := range []string{
		ok("Content-Type: "+msgenc.ContentType(msgenc.ProtocolSPNEGO)+"\r\nServer: Microsoft-HTTPAPI/2.0\r\n", string(sealed)),
		"HTTP/1.1 401 \r\nWWW-Authenticate: Negotiate TlRMTVNTUAACAAAADAAMADgAAAAFgomiESIzRFVmd4gAAAAAAAAAAJAAkABEAAAA\r\nServer: Microsoft-HTTPAPI/2.0\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 401 \r\nWWW-Authenticate: Negotiate\r\nWWW-Authenticate: Basic realm=\"WSMAN\"\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml;charset=UTF-8\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(soapOK, 16),
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(strings.Repeat("y", limit+1), 1000),
		"HTTP/1.1 200 OK\r\nContent-Length: 99999\r\n\r\n",
		"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nConnection: close\r\n\r\n",
		"HTTP/1.0 200 OK\n\nbody until the end",
		"HTTP/1.1 200 OK\r\nContent-Ty",
		"HTTP/",
		"",
	} {
		f.Add([]byte(seed))
	}
	u, _ := url.Parse("http://h/wsman")
	f.Fuzz(func(t *testing.T, reply []byte) {
		conn := &replyConn{r: bytes.NewReader(reply)}
		c := newSessConn(&dialed{conn: conn})
		x, err := c.exchange(context.Background(), u, http.Header{}, []byte("<env/>"), limit)
		if budget := maxReplyHead + limit + 1 + maxReplyHead; conn.read > budget {
			t.Fatalf("read %d bytes, over the %d-byte budget", conn.read, budget)
		}
		head := reply[:min(len(reply), maxReplyHead)]
		ended := bytes.Contains(head, []byte("\n\n")) || bytes.Contains(head, []byte("\n\r\n"))
		var re *ResponseError
		switch {
		case err == nil:
			if x.resp == nil || len(x.body) > limit {
				t.Fatalf("success with resp %v and %d body bytes", x.resp, len(x.body))
			}
		case errors.As(err, &re) && strings.Contains(re.Reason, "reply headers exceed"):
			if ended {
				t.Fatalf("head reported too large, yet it ends within %d bytes", maxReplyHead)
			}
		case !ended && len(reply) < maxReplyHead:
			// The stream ended inside the head: that, not a malformed line.
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("head cut off by the end of the stream: err = %v", err)
			}
		}
	})
}
