package simulator

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"net/http"
	"strconv"

	"github.com/cimjob/cimjob/internal/msgenc"
)

// maxSealedReply bounds a reply buffered for sealing; fixtures are far
// smaller (the "huge" misbehaviour streams its own framing instead).
const maxSealedReply = 16 << 20

var errReplyTooLarge = errors.New("simulator: reply too large to seal")

// sealWriter collects a reply and sends it sealed with the connection's
// context, in the framing the request came in: Windows answers a sealed
// request with a sealed reply, faults included. Replies without a body
// (a 503) go out as they are.
type sealWriter struct {
	w      http.ResponseWriter
	cs     *connState
	ctx    Acceptor
	status int
	buf    bytes.Buffer
	// direct is set once the reply went out another way (hijacked or
	// streamed by a misbehaviour).
	direct bool
}

func (sw *sealWriter) Header() http.Header { return sw.w.Header() }

func (sw *sealWriter) WriteHeader(code int) {
	if sw.status == 0 {
		sw.status = code
	}
}

func (sw *sealWriter) Write(p []byte) (int, error) {
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	if sw.buf.Len()+len(p) > maxSealedReply {
		return 0, errReplyTooLarge
	}
	return sw.buf.Write(p)
}

// Hijack lets misbehaviours cut the connection as they do unsealed.
func (sw *sealWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := sw.w.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("simulator: connection cannot be hijacked")
	}
	sw.direct = true
	return hj.Hijack()
}

// finish seals what was written and sends it.
func (sw *sealWriter) finish() error {
	if sw.direct {
		return nil
	}
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	h := sw.w.Header()
	if sw.buf.Len() == 0 {
		h.Del("Content-Type")
		h.Set("Content-Length", "0")
		sw.w.WriteHeader(sw.status)
		return nil
	}
	sw.cs.mu.Lock()
	body, err := msgenc.Encode(sw.ctx, sw.ctx.Protocol(), sw.buf.Bytes())
	sw.cs.mu.Unlock()
	if err != nil {
		h.Del("Content-Type")
		h.Set("Content-Length", "0")
		sw.w.WriteHeader(http.StatusInternalServerError)
		return err
	}
	h.Set("Content-Type", msgenc.ContentType(sw.ctx.Protocol()))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	sw.w.WriteHeader(sw.status)
	_, err = sw.w.Write(body)
	return err
}
