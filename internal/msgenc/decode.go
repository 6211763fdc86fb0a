package msgenc

import (
	"bytes"
	"encoding/binary"
	"mime"
	"strconv"
	"strings"
)

// Media is a parsed encrypted Content-Type.
type Media struct {
	// Multi is true for multipart/x-multi-encrypted (chunked parts).
	Multi    bool
	Protocol string
	Boundary string
}

// Bounds on what Decode accepts besides the caller's plaintext limit.
const (
	maxHeaderSection = 1024     // the part header is ~150 bytes
	maxSignature     = 64 << 10 // NTLM sends 16, Kerberos about 60
	maxParts         = 1024     // x-multi-encrypted chunks are 16 KiB
	maxBoundary      = 70       // RFC 2046
)

// ParseContentType parses the HTTP Content-Type of an encrypted body. A
// media type other than the two encrypted ones yields ErrNotEncrypted.
func ParseContentType(contentType string) (Media, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return Media{}, formatErr("Content-Type %q: %v", contentType, err)
	}
	var m Media
	switch mt {
	case MediaEncrypted:
	case MediaMultiEncrypted:
		m.Multi = true
	default:
		return Media{}, ErrNotEncrypted
	}
	m.Protocol, m.Boundary = params["protocol"], params["boundary"]
	switch {
	case m.Protocol == "":
		return Media{}, formatErr("Content-Type %q has no protocol", contentType)
	case m.Boundary == "" || len(m.Boundary) > maxBoundary:
		return Media{}, formatErr("Content-Type %q has no usable boundary", contentType)
	}
	return m, nil
}

// Decode parses an encrypted body with the given HTTP Content-Type and
// unseals every part with u, checking each part's OriginalContent Length
// and the total against limit (the largest plaintext the caller accepts).
// The body's own size must already be bounded by the reader.
func Decode(u Unsealer, contentType string, body []byte, limit int) ([]byte, error) {
	m, err := ParseContentType(contentType)
	if err != nil {
		return nil, err
	}
	d := &decoder{m: m, body: body, delim: []byte("--" + m.Boundary)}
	if !bytes.HasPrefix(body, append(d.delim, "\r\n"...)) {
		return nil, formatErr("body does not open with the boundary")
	}
	d.pos = len(d.delim) + 2
	var out []byte
	for n := 0; ; n++ {
		if n == maxParts {
			return nil, formatErr("more than %d parts", maxParts)
		}
		declared, sig, sealed, last, err := d.part(limit - len(out))
		if err != nil {
			return nil, err
		}
		plain, err := u.Unseal(sig, sealed)
		if err != nil {
			return nil, err
		}
		if len(plain) != declared {
			return nil, &LengthError{Declared: declared, Actual: len(plain)}
		}
		out = append(out, plain...)
		if last {
			return out, nil
		}
		if !m.Multi {
			return nil, formatErr("more than one part in %s", MediaEncrypted)
		}
	}
}

type decoder struct {
	m     Media
	body  []byte
	delim []byte
	pos   int // start of the current part's header section
}

// part reads one part: header section, boundary, octet-stream section. It
// returns the declared length, signature, sealed bytes, and whether the
// closing delimiter followed.
func (d *decoder) part(room int) (declared int, sig, sealed []byte, last bool, err error) {
	sep := append(append([]byte("\r\n"), d.delim...), "\r\n"...)
	rest := d.body[d.pos:]
	// The header section ends where its last line's CRLF meets the boundary.
	end := bytes.Index(rest[:min(len(rest), maxHeaderSection)], sep)
	if end < 0 {
		return 0, nil, nil, false, formatErr("part header section not closed by the boundary within %d bytes", maxHeaderSection)
	}
	declared, err = d.header(string(rest[:end]), room)
	if err != nil {
		return 0, nil, nil, false, err
	}
	rest = rest[end+len(sep):]
	line, rest, ok := bytes.Cut(rest, []byte("\r\n"))
	if !ok || !headerIs(string(line), "Content-Type", "application/octet-stream") {
		return 0, nil, nil, false, formatErr("data section does not start with Content-Type: application/octet-stream")
	}
	if len(rest) < 4 {
		return 0, nil, nil, false, formatErr("data section too short for the signature length")
	}
	n := binary.LittleEndian.Uint32(rest)
	rest = rest[4:]
	if n > maxSignature || int(n) > len(rest) {
		return 0, nil, nil, false, formatErr("signature length %d beyond the data (%d bytes)", n, len(rest))
	}
	sig, rest = rest[:n], rest[n:]
	dataStart := len(d.body) - len(rest)

	// The sealed data is binary, so its end is found from the structure:
	// the closing delimiter ends the body; in x-multi-encrypted a boundary
	// followed by another part header also ends it.
	closing := append(append([]byte(nil), d.delim...), '-', '-')
	closeAt := -1
	switch {
	case bytes.HasSuffix(rest, append(closing, '\r', '\n')):
		closeAt = len(rest) - len(closing) - 2
	case bytes.HasSuffix(rest, closing):
		closeAt = len(rest) - len(closing)
	default:
		return 0, nil, nil, false, formatErr("body does not end with the closing boundary")
	}
	if d.m.Multi {
		if next := d.nextPart(rest[:closeAt]); next >= 0 {
			d.pos = dataStart + next + len(d.delim) + 2
			return declared, sig, rest[:next], false, nil
		}
	}
	return declared, sig, rest[:closeAt], true, nil
}

// nextPart finds, in x-multi-encrypted data, a boundary that opens another
// part header for the same protocol; -1 when there is none.
func (d *decoder) nextPart(data []byte) int {
	for off := 0; ; {
		i := bytes.Index(data[off:], d.delim)
		if i < 0 {
			return -1
		}
		at := off + i
		after := data[at+len(d.delim):]
		if line, ok := bytes.CutPrefix(after, []byte("\r\n")); ok {
			first, _, _ := bytes.Cut(line, []byte("\r\n"))
			if headerIs(string(first), "Content-Type", d.m.Protocol) {
				return at
			}
		}
		off = at + 1
	}
}

// header checks the first section of a part and returns its Length.
func (d *decoder) header(section string, room int) (int, error) {
	var sawType bool
	length := -1
	for _, line := range strings.Split(section, "\r\n") {
		name, value, ok := strings.Cut(strings.TrimLeft(line, " \t"), ":")
		if !ok {
			return 0, formatErr("part header line %q", line)
		}
		value = strings.TrimSpace(value)
		switch {
		case strings.EqualFold(name, "Content-Type"):
			if !strings.EqualFold(value, d.m.Protocol) {
				return 0, formatErr("part Content-Type %q, want %q", value, d.m.Protocol)
			}
			sawType = true
		case strings.EqualFold(name, "OriginalContent"):
			n, err := originalLength(value)
			if err != nil {
				return 0, err
			}
			length = n
		}
	}
	switch {
	case !sawType:
		return 0, formatErr("part header without Content-Type")
	case length < 0:
		return 0, formatErr("part header without OriginalContent Length")
	case length > room:
		return 0, formatErr("OriginalContent Length=%d exceeds the %d bytes allowed", length, room)
	}
	return length, nil
}

// originalLength reads Length from "type=...;charset=...;Length=N".
func originalLength(v string) (int, error) {
	for _, p := range strings.Split(v, ";") {
		k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(k, "Length") {
			n, err := strconv.Atoi(strings.TrimSpace(val))
			if err != nil || n < 0 {
				return 0, formatErr("OriginalContent Length %q", val)
			}
			return n, nil
		}
	}
	return 0, formatErr("OriginalContent %q has no Length", v)
}

// headerIs reports whether line is "name: value" (leading white space and
// case ignored).
func headerIs(line, name, value string) bool {
	k, v, ok := strings.Cut(strings.TrimLeft(line, " \t"), ":")
	return ok && strings.EqualFold(k, name) && strings.EqualFold(strings.TrimSpace(v), value)
}
