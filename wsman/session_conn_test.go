package wsman

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cimjob/cimjob/cim"
)

// exchangeWith runs one sessConn.exchange against a peer that reads the
// request and writes reply as it is.
func exchangeWith(t *testing.T, reply string, bodyLimit int64) (exchangeResult, error) {
	t.Helper()
	return exchangePeer(t, context.Background(), reply, false, bodyLimit)
}

// exchangePeer runs one sessConn.exchange within ctx against a peer that
// reads the request and writes reply as it is; then it closes the
// connection when hangUp is set, and otherwise stays silent.
func exchangePeer(t *testing.T, ctx context.Context, reply string, hangUp bool, bodyLimit int64) (exchangeResult, error) {
	t.Helper()
	client, server := net.Pipe()
	t.Cleanup(func() { client.Close(); server.Close() })
	go func() {
		req, err := http.ReadRequest(bufio.NewReader(server))
		if err != nil {
			return
		}
		io.Copy(io.Discard, req.Body)
		io.WriteString(server, reply)
		if hangUp {
			server.Close()
		}
	}()
	c := newSessConn(&dialed{conn: client})
	u, _ := url.Parse("http://h/wsman")
	return c.exchange(ctx, u, http.Header{}, []byte("<env/>"), bodyLimit)
}

// chunked frames body in chunks of n bytes.
func chunked(body string, n int) string {
	var b strings.Builder
	for len(body) > 0 {
		k := min(n, len(body))
		fmt.Fprintf(&b, "%x\r\n%s\r\n", k, body[:k])
		body = body[k:]
	}
	return b.String() + "0\r\n\r\n"
}

func TestExchangeReadBudget(t *testing.T) {
	const limit = 256 << 10
	body := strings.Repeat("x", limit)
	tests := []struct {
		name    string
		reply   string
		wantErr string // "" for success
		wantIs  error  // the sentinel the error wraps
	}{
		{"body at the limit", "HTTP/1.1 200 OK\r\nContent-Length: " + fmt.Sprint(limit) + "\r\n\r\n" + body, "", nil},
		{"body at the limit, small chunks", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(body, 512), "", nil},
		{"headers over their bound, within the body's", "HTTP/1.1 200 OK\r\nX-Pad: " + strings.Repeat("h", 2*maxReplyHead) + "\r\nContent-Length: 0\r\n\r\n", "reply headers exceed", ErrHeadTooLarge},
		{"body over the limit", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(body+"y", 4096), "reply body exceeds", cim.ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x, err := exchangeWith(t, tc.reply, limit)
			if tc.wantErr == "" {
				if err != nil || len(x.body) != limit {
					t.Fatalf("err = %v, %d body bytes; want %d", err, len(x.body), limit)
				}
				return
			}
			var re *ResponseError
			if !errors.As(err, &re) || !errors.Is(err, tc.wantIs) || !strings.Contains(re.Reason, tc.wantErr) {
				t.Fatalf("err = %v, want a *ResponseError %q", err, tc.wantErr)
			}
		})
	}
}
