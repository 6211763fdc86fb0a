package ntlm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"unicode/utf16"
)

// signature opens every NTLM message.
var signature = []byte("NTLMSSP\x00")

// Message types (MS-NLMP 2.2.1).
const (
	typeNegotiate    uint32 = 1
	typeChallenge    uint32 = 2
	typeAuthenticate uint32 = 3
)

// reader reads one message with every offset and length checked against
// the message, so that hostile input yields a FormatError, never a panic.
type reader struct {
	msg  string // message name for errors
	b    []byte
	head int // size of the fixed part: payload offsets must not point into it
}

func (r *reader) errorf(field, format string, args ...any) error {
	return &FormatError{Message: r.msg, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// header checks the signature, type and minimum length.
func (r *reader) header(want uint32, minLen int) error {
	if len(r.b) < minLen {
		return r.errorf("", "%d bytes, need at least %d", len(r.b), minLen)
	}
	if !bytes.Equal(r.b[:8], signature) {
		return r.errorf("Signature", "not NTLMSSP")
	}
	if got := binary.LittleEndian.Uint32(r.b[8:12]); got != want {
		return r.errorf("MessageType", "%d, want %d", got, want)
	}
	return nil
}

func (r *reader) u32(at int) uint32 { return binary.LittleEndian.Uint32(r.b[at : at+4]) }

// field reads the 8-byte Len/MaxLen/Offset descriptor at `at` and returns
// the payload bytes it points to (aliasing the message).
func (r *reader) field(name string, at int) ([]byte, error) {
	n := int(binary.LittleEndian.Uint16(r.b[at : at+2]))
	off := int64(binary.LittleEndian.Uint32(r.b[at+4 : at+8]))
	if n == 0 {
		return nil, nil
	}
	if off < int64(r.head) {
		return nil, r.errorf(name, "offset %d points into the %d-byte fixed part", off, r.head)
	}
	if off+int64(n) > int64(len(r.b)) {
		return nil, r.errorf(name, "offset %d + length %d beyond message length %d", off, n, len(r.b))
	}
	return r.b[off : off+int64(n)], nil
}

// fieldOffset is the offset of a non-empty field, or -1 for an empty one.
func (r *reader) fieldOffset(at int) int64 {
	if binary.LittleEndian.Uint16(r.b[at:at+2]) == 0 {
		return -1
	}
	return int64(binary.LittleEndian.Uint32(r.b[at+4 : at+8]))
}

func (r *reader) str(name string, b []byte, unicode bool) (string, error) {
	if !unicode {
		return string(b), nil
	}
	s, ok := fromUTF16(b)
	if !ok {
		return "", r.errorf(name, "odd length %d for a UTF-16 string", len(b))
	}
	return s, nil
}

// writer builds a message: a fixed part with field descriptors, then the
// payload, in the order fields are added.
type writer struct {
	head    []byte
	payload []byte
}

func newWriter(msgType uint32, headLen int) *writer {
	w := &writer{head: make([]byte, headLen)}
	copy(w.head, signature)
	binary.LittleEndian.PutUint32(w.head[8:], msgType)
	return w
}

func (w *writer) putU32(at int, v uint32) { binary.LittleEndian.PutUint32(w.head[at:], v) }

// putField appends data to the payload and writes its descriptor at `at`.
// Lengths are bounded by the callers (strings and keys far below 64 KiB).
func (w *writer) putField(at int, data []byte) {
	off := len(w.head) + len(w.payload)
	binary.LittleEndian.PutUint16(w.head[at:], uint16(len(data)))
	binary.LittleEndian.PutUint16(w.head[at+2:], uint16(len(data)))
	binary.LittleEndian.PutUint32(w.head[at+4:], uint32(off))
	w.payload = append(w.payload, data...)
}

func (w *writer) bytes() []byte { return append(w.head, w.payload...) }

func toUTF16(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

func fromUTF16(b []byte) (string, bool) {
	if len(b)%2 != 0 {
		return "", false
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u)), true
}

// maxField bounds any string or blob this package writes into a message,
// since descriptors carry 16-bit lengths.
const maxField = 0xFFFF

func checkFieldLen(msg, name string, n int) error {
	if n > maxField {
		return &FormatError{Message: msg, Field: name, Reason: fmt.Sprintf("%d bytes exceed the 65535-byte field limit", n)}
	}
	return nil
}
