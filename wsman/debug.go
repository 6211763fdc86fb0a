package wsman

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/cimjob/cimjob/internal/termtext"
)

// debugBodyMax is how much of each body the debug log shows; the rest
// still streams to the reader untouched, so the size cap works as usual.
const debugBodyMax = 64 << 10

// debugTransport logs each HTTP exchange (every attempt, retries
// included) with credentials redacted and, since the log goes to a
// terminal, everything the host sent cleaned with termtext.Sanitize.
type debugTransport struct {
	next http.RoundTripper
	w    io.Writer
	mu   sync.Mutex
	seq  atomic.Int64
}

func newDebugTransport(next http.RoundTripper, w io.Writer) *debugTransport {
	return &debugTransport{next: next, w: w}
}

func (d *debugTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	n := d.seq.Add(1)
	var b strings.Builder
	fmt.Fprintf(&b, "--> #%d %s %s\n", n, req.Method, req.URL.Redacted())
	writeRedactedHeaders(&b, req.Header)
	if req.GetBody != nil {
		if rc, err := req.GetBody(); err == nil {
			data, _ := io.ReadAll(io.LimitReader(rc, debugBodyMax+1))
			rc.Close()
			writeBody(&b, req.Header.Get("Content-Type"), data)
		}
	}
	d.write(b.String())

	resp, err := d.next.RoundTrip(req)
	b.Reset()
	if err != nil {
		fmt.Fprintf(&b, "<-- #%d error: %s\n", n, termtext.Sanitize(err.Error()))
		d.write(b.String())
		return nil, err
	}
	fmt.Fprintf(&b, "<-- #%d %s %s\n", n, termtext.Sanitize(resp.Proto), termtext.Sanitize(resp.Status))
	writeRedactedHeaders(&b, resp.Header)
	head, rerr := io.ReadAll(io.LimitReader(resp.Body, debugBodyMax+1))
	writeBody(&b, resp.Header.Get("Content-Type"), head)
	if rerr != nil {
		fmt.Fprintf(&b, "[body read failed: %s]\n", termtext.Sanitize(rerr.Error()))
	}
	d.write(b.String())
	resp.Body = &replayBody{Reader: io.MultiReader(bytes.NewReader(head), errReader{rerr}, resp.Body), Closer: resp.Body}
	return resp, nil
}

func (d *debugTransport) write(s string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, _ = io.WriteString(d.w, s)
}

// replayBody hands the reader the bytes the log already consumed, then the
// rest of the original body.
type replayBody struct {
	io.Reader
	io.Closer
}

// errReader replays a read error the log ran into, so the caller sees it.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	return 0, io.EOF
}

// writeBody writes text bodies (SOAP) and only the size of anything else
// (sealed multipart/encrypted traffic).
func writeBody(b *strings.Builder, contentType string, data []byte) {
	if len(data) == 0 {
		return
	}
	shown, more := data, false
	if len(shown) > debugBodyMax {
		shown, more = shown[:debugBodyMax], true
	}
	ct := strings.ToLower(contentType)
	textual := strings.Contains(ct, "xml") || strings.HasPrefix(ct, "text/") || ct == ""
	// A body cut at debugBodyMax may end inside a rune; that is not binary.
	if strings.Contains(ct, "multipart") || !textual || !(more || utf8.Valid(shown)) {
		fmt.Fprintf(b, "[%d bytes of %q not shown]\n", len(data), termtext.Sanitize(contentType))
		return
	}
	b.WriteString(termtext.Sanitize(string(shown)))
	if more {
		b.WriteString("\n[... body continues, not shown]")
	}
	b.WriteByte('\n')
}

// writeRedactedHeaders writes headers in a stable order with credentials
// removed: Authorization-type headers keep only their scheme, challenges
// only scheme and realm, cookies nothing.
func writeRedactedHeaders(b *strings.Builder, h http.Header) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s: %s\n", termtext.Sanitize(k), termtext.Sanitize(redactHeader(k, v)))
		}
	}
}

func redactHeader(name, value string) string {
	switch http.CanonicalHeaderKey(name) {
	case "Authorization", "Proxy-Authorization":
		scheme, _, _ := strings.Cut(strings.TrimSpace(value), " ")
		return scheme + " [redacted]"
	case "Www-Authenticate", "Proxy-Authenticate":
		clean := strings.Join(sanitizeChallenges([]string{value}), ", ")
		if len(strings.Fields(value)) > len(strings.Fields(clean)) {
			clean += " [token redacted]"
		}
		return clean
	case "Cookie", "Set-Cookie":
		return "[redacted]"
	}
	return value
}

// logRequest shows a request of a SessionTransport: the SOAP envelope it
// carries, and when sealed only the size of what went on the wire. It
// returns the exchange's number, 0 without a debug writer.
func (t *SessionTransport) logRequest(h http.Header, plain, sealed []byte) int64 {
	if t.debug == nil {
		return 0
	}
	n := t.debug.seq.Add(1)
	var b strings.Builder
	fmt.Fprintf(&b, "--> #%d POST %s\n", n, t.url.Redacted())
	writeRedactedHeaders(&b, h)
	writeBody(&b, soapContentType, plain)
	if sealed != nil {
		fmt.Fprintf(&b, "[sealed on the wire: %d bytes]\n", len(sealed))
	}
	t.debug.write(b.String())
	return n
}

// logReply shows a reply, after unsealing when it was sealed.
func (t *SessionTransport) logReply(n int64, resp *http.Response, body []byte, unsealed bool) {
	if t.debug == nil {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<-- #%d %s %s\n", n, termtext.Sanitize(resp.Proto), termtext.Sanitize(resp.Status))
	writeRedactedHeaders(&b, resp.Header)
	ct := resp.Header.Get("Content-Type")
	if unsealed {
		ct = soapContentType
		b.WriteString("[unsealed]\n")
	}
	writeBody(&b, ct, body)
	t.debug.write(b.String())
}

// logFailure shows an exchange that ended without a usable reply.
func (t *SessionTransport) logFailure(n int64, err error) {
	if t.debug == nil {
		return
	}
	t.debug.write(fmt.Sprintf("<-- #%d error: %s\n", n, termtext.Sanitize(err.Error())))
}
