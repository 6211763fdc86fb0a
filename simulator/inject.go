package simulator

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/cimjob/cimjob/internal/msgenc"
)

// hugeSize is how much the "huge" misbehaviour streams.
const hugeSize = 256 << 20

// misbehave answers req the wrong way the job asks for. It returns false
// when the request is to be answered normally after all (http-503-then-ok
// after the first request).
func (s *Server) misbehave(w http.ResponseWriter, r *http.Request, req *request, job *JobSpec, name string) bool {
	if job.Inject == Inject503ThenOK {
		key := jobKey(job.Namespace, job.Class, job.InstanceID)
		s.mu.Lock()
		first := !s.seen503[key]
		s.seen503[key] = true
		s.mu.Unlock()
		if !first {
			return false
		}
	}
	s.count(func(st *Stats) { st.Injected++ })
	s.logRequest(r, "%s -> inject %s", req.action, job.Inject)
	switch job.Inject {
	case InjectHang:
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		// Returning would send an empty 200: cut the connection instead.
		hijackWrite(w, "", nil)
	case Inject503ThenOK:
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusServiceUnavailable)
	case InjectTruncate:
		data, _ := s.render(req, name, "")
		hijackWrite(w, fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\nServer: Microsoft-HTTPAPI/2.0\r\n\r\n",
			soapContentType, len(data)), data[:len(data)/2])
	case InjectDrop:
		hijackWrite(w, "", nil)
	case InjectMalformed:
		data, _ := s.render(req, name, "")
		// Close the envelope with the wrong tag and leave garbage behind.
		if i := bytes.LastIndex(data, []byte("</")); i >= 0 {
			data = append(data[:i:i], []byte("</s:Header><unclosed attr=\"1\">&bogus;")...)
		}
		writeSOAP(w, http.StatusOK, data)
	case InjectWrongRelatesTo:
		data, isFault := s.render(req, name, newMessageID())
		status := http.StatusOK
		if isFault {
			status = http.StatusInternalServerError
		}
		writeSOAP(w, status, data)
	case InjectEntityBomb:
		writeSOAP(w, http.StatusOK, entityBomb(req))
	case InjectAttrFlood:
		writeSOAP(w, http.StatusOK, attrFlood(req))
	case InjectHuge:
		if sw, ok := w.(*sealWriter); ok {
			sw.direct = true
			s.streamHugeSealed(sw.w, r, sw.ctx.Protocol())
			break
		}
		s.streamHuge(w, r, req)
	}
	return true
}

// hijackWrite takes over the connection, writes head and body raw, and
// closes it: the only way to send a short body or none at all.
func hijackWrite(w http.ResponseWriter, head string, body []byte) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		// Not on a real connection (httptest.ResponseRecorder): nothing to cut.
		return
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	if head != "" {
		buf.WriteString(head)
		buf.Write(body)
		buf.Flush()
	}
}

// entityBomb is a reply whose DTD expands to about 3 GB (10^9 "lol"s) in a
// parser that expands entities.
func entityBomb(req *request) []byte {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!DOCTYPE s:Envelope [\n  <!ENTITY lol0 \"lol\">\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "  <!ENTITY lol%d \"%s\">\n", i, strings.Repeat(fmt.Sprintf("&lol%d;", i-1), 10))
	}
	b.WriteString("]>\n")
	fmt.Fprintf(&b, `<s:Envelope xmlns:s="%s" xmlns:a="%s"><s:Header><a:Action>%sResponse</a:Action>`+
		`<a:MessageID>%s</a:MessageID><a:RelatesTo>%s</a:RelatesTo></s:Header><s:Body>`+
		`<p:GetError_OUTPUT xmlns:p="%s"><p:Error>&lol9;</p:Error><p:ReturnValue>0</p:ReturnValue></p:GetError_OUTPUT>`+
		`</s:Body></s:Envelope>`,
		nsSOAP, nsAddressing, escapeText(req.action), newMessageID(), escapeText(req.messageID), escapeText(req.resourceURI))
	return []byte(b.String())
}

// Sizes of the attribute flood (issue 6): about 4 MB, under the client's
// 8 MiB default cap.
const (
	floodAttrs   = 350_000
	floodHeaders = 65_000
)

// attrFlood is a reply that is small enough to be read whole but makes a
// parser that resolves namespaces by scanning the attributes of each
// element's ancestors take floodAttrs x floodHeaders steps: the Envelope
// carries floodAttrs attributes with the header prefixes declared after
// them, then floodHeaders decoy <h:Action/> headers, in a namespace that
// is not WS-Addressing, each of which a client looking for wsa:Action
// has to resolve before it reaches the real headers.
func attrFlood(req *request) []byte {
	var b bytes.Buffer
	b.Grow(5 << 20)
	fmt.Fprintf(&b, `<s:Envelope xmlns:s="%s"`, nsSOAP)
	// strconv rather than fmt: the reply must be out well within the
	// client's timeout even under the race detector.
	var num []byte
	for i := range floodAttrs {
		b.WriteString(" a")
		num = strconv.AppendUint(num[:0], uint64(i), 16)
		b.Write(num)
		b.WriteString(`=""`)
	}
	fmt.Fprintf(&b, ` xmlns:h="urn:decoy" xmlns:a="%s"><s:Header>`, nsAddressing)
	b.Write(bytes.Repeat([]byte(`<h:Action/>`), floodHeaders))
	fmt.Fprintf(&b, `<a:Action>%sResponse</a:Action><a:MessageID>%s</a:MessageID><a:RelatesTo>%s</a:RelatesTo></s:Header>`+
		`<s:Body><p:GetError_OUTPUT xmlns:p="%s"><p:ReturnValue>0</p:ReturnValue></p:GetError_OUTPUT></s:Body></s:Envelope>`,
		escapeText(req.action), newMessageID(), escapeText(req.messageID), escapeText(req.resourceURI))
	return b.Bytes()
}

// streamHuge sends a well-formed start, then 256 MiB of repeated escaped
// CIM-XML properties, then a proper end, stopping early when the client
// leaves. One 64 KiB block is reused, so this costs no memory.
func (s *Server) streamHuge(w http.ResponseWriter, r *http.Request, req *request) {
	w.Header().Set("Content-Type", soapContentType)
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	fmt.Fprintf(bw, `<s:Envelope xmlns:s="%s" xmlns:a="%s"><s:Header><a:Action>%sResponse</a:Action>`+
		`<a:MessageID>%s</a:MessageID><a:RelatesTo>%s</a:RelatesTo></s:Header><s:Body>`+
		`<p:GetError_OUTPUT xmlns:p="%s"><p:Error>&lt;INSTANCE CLASSNAME="Msvm_Error"&gt;`,
		nsSOAP, nsAddressing, escapeText(req.action), newMessageID(), escapeText(req.messageID), escapeText(req.resourceURI))
	unit := `&lt;PROPERTY NAME="Pad" TYPE="string"&gt;&lt;VALUE&gt;` + strings.Repeat("x", 200) + `&lt;/VALUE&gt;&lt;/PROPERTY&gt;`
	block := []byte(strings.Repeat(unit, (64<<10)/len(unit)))
	if !s.repeat(bw, r, block) {
		return
	}
	bw.WriteString(`&lt;/INSTANCE&gt;</p:Error><p:ReturnValue>0</p:ReturnValue></p:GetError_OUTPUT></s:Body></s:Envelope>`)
	bw.Flush()
}

// streamHugeSealed is the huge reply on a sealed connection: framing that
// declares 256 MiB of sealed SOAP, then that much filler. Its signature is
// never valid: a client must give up on the size before it unseals.
func (s *Server) streamHugeSealed(w http.ResponseWriter, r *http.Request, protocol string) {
	w.Header().Set("Content-Type", msgenc.ContentType(protocol))
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	fmt.Fprintf(bw, "--%s\r\n\tContent-Type: %s\r\n\tOriginalContent: type=%s;Length=%d\r\n--%s\r\n\tContent-Type: application/octet-stream\r\n",
		msgenc.Boundary, protocol, msgenc.OriginalType, hugeSize, msgenc.Boundary)
	bw.Write([]byte{16, 0, 0, 0}) //nolint:errcheck // a write error shows at the next write
	block := bytes.Repeat([]byte{0x5a}, 64<<10)
	bw.Write(block[:16]) //nolint:errcheck // the signature
	if !s.repeat(bw, r, block) {
		return
	}
	fmt.Fprintf(bw, "--%s--\r\n", msgenc.Boundary)
	bw.Flush()
}

// repeat writes block until hugeSize bytes are out; false when the client
// left or the server is closing.
func (s *Server) repeat(bw *bufio.Writer, r *http.Request, block []byte) bool {
	for sent := 0; sent < hugeSize; sent += len(block) {
		if r.Context().Err() != nil {
			return false
		}
		select {
		case <-s.done:
			return false
		default:
		}
		if _, err := bw.Write(block); err != nil {
			return false
		}
	}
	return true
}
