package msgenc_test

import (
	"bytes"
	"testing"

	"github.com/cimjob/cimjob/internal/msgenc"
)

// FuzzEncodeDecode holds Decode to being Encode's inverse: any plaintext,
// boundary-like bytes included, framed for any protocol, comes back whole
// when it fits the limit and is refused when it does not.
func FuzzEncodeDecode(f *testing.F) {
	f.Add([]byte(envelope), uint8(0), uint16(1024))
	f.Add([]byte(""), uint8(1), uint16(0))
	f.Add([]byte("--Encrypted Boundary--\r\n\tContent-Type: application/octet-stream\r\n"), uint8(2), uint16(64))
	f.Add(bytes.Repeat([]byte("x"), 300), uint8(0), uint16(299))
	protocols := []string{msgenc.ProtocolSPNEGO, msgenc.ProtocolKerberos, msgenc.ProtocolCredSSP}
	f.Fuzz(func(t *testing.T, plain []byte, protocol uint8, limit uint16) {
		p := protocols[int(protocol)%len(protocols)]
		body, err := msgenc.Encode(xorSealer{}, p, plain)
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		got, err := msgenc.Decode(xorSealer{}, msgenc.ContentType(p), body, int(limit))
		switch {
		case len(plain) > int(limit):
			if err == nil {
				t.Fatalf("%d bytes decoded under a %d-byte limit", len(got), limit)
			}
		case err != nil:
			t.Fatalf("Decode(Encode(%q)): %v", plain, err)
		case !bytes.Equal(got, plain):
			t.Fatalf("Decode(Encode(%q)) = %q", plain, got)
		}
	})
}
