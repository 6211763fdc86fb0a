package simulator

import (
	"bytes"
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"

	"github.com/cimjob/cimjob/fixtures"
)

// soapContentType is the Content-Type WinRM puts on its replies.
const soapContentType = "application/soap+xml;charset=UTF-8"

// render returns the fixture with its placeholders filled in for req.
// relatesTo overrides the request's MessageID when not empty.
func (s *Server) render(req *request, name, relatesTo string) ([]byte, bool) {
	fx := s.fixtures[name]
	return s.fill(req, fx.data, relatesTo), fx.fault
}

// fill replaces a reply's placeholders for req.
func (s *Server) fill(req *request, data []byte, relatesTo string) []byte {
	if relatesTo == "" && req.hasMessageID && req.messageID != "" {
		relatesTo = req.messageID
	}
	if relatesTo != "" {
		data = bytes.ReplaceAll(data, []byte(fixtures.PlaceholderRelatesTo), escapeText(relatesTo))
	} else {
		data = dropElementAround(data, []byte(fixtures.PlaceholderRelatesTo))
	}
	data = bytes.ReplaceAll(data, []byte(fixtures.PlaceholderMessageID), []byte(newMessageID()))
	return bytes.ReplaceAll(data, []byte(fixtures.PlaceholderMachine), escapeText(s.sc.Host))
}

// reply sends a fixture: HTTP 500 for a fault, 200 otherwise.
func (s *Server) reply(w http.ResponseWriter, r *http.Request, req *request, name string) {
	data, isFault := s.render(req, name, "")
	status := http.StatusOK
	if isFault {
		status = http.StatusInternalServerError
		s.count(func(st *Stats) { st.Faults++ })
	}
	writeSOAP(w, status, data)
	s.logRequest(r, "%s -> %d %s", req.action, status, name)
}

func writeSOAP(w http.ResponseWriter, status int, data []byte) {
	w.Header().Set("Content-Type", soapContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	w.Write(data) //nolint:errcheck // the client may have gone; nothing to do about it.
}

// dropElementAround removes the element whose text is marker: the reply to
// a request without MessageID has no RelatesTo.
func dropElementAround(data, marker []byte) []byte {
	i := bytes.Index(data, marker)
	if i < 0 {
		return data
	}
	start := bytes.LastIndexByte(data[:i], '<')
	endTag := bytes.IndexByte(data[i:], '>')
	if start < 0 || endTag < 0 {
		return data
	}
	end := i + endTag + 1
	out := append([]byte{}, data[:start]...)
	return append(out, data[end:]...)
}

func escapeText(s string) []byte {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s)) //nolint:errcheck // bytes.Buffer does not fail.
	return b.Bytes()
}

// newMessageID returns a random "uuid:" MessageID in upper case, as WinRM
// writes them.
func newMessageID() string {
	var u [16]byte
	rand.Read(u[:]) //nolint:errcheck // crypto/rand.Read does not fail.
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("uuid:%X-%X-%X-%X-%X", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
