package msgenc

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
)

// ContentType is the HTTP Content-Type of a multipart/encrypted body.
func ContentType(protocol string) string {
	return MediaEncrypted + `;protocol="` + protocol + `";boundary="` + Boundary + `"`
}

// Encode seals plain with s and frames it as one multipart/encrypted body
// for the given protocol; send it with ContentType(protocol).
func Encode(s Sealer, protocol string, plain []byte) ([]byte, error) {
	sig, sealed, err := s.Seal(plain)
	if err != nil {
		return nil, fmt.Errorf("msgenc: seal: %w", err)
	}
	if len(sig) > math.MaxInt32 {
		return nil, formatErr("signature of %d bytes", len(sig))
	}
	const delim = "--" + Boundary + "\r\n"
	b := make([]byte, 0, len(sealed)+len(sig)+256)
	b = append(b, delim...)
	b = append(b, "\tContent-Type: "+protocol+"\r\n"...)
	b = append(b, "\tOriginalContent: type="+OriginalType+";Length="+strconv.Itoa(len(plain))+"\r\n"...)
	b = append(b, delim...)
	b = append(b, "\tContent-Type: application/octet-stream\r\n"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(sig)))
	b = append(b, sig...)
	b = append(b, sealed...)
	b = append(b, "--"+Boundary+"--\r\n"...)
	return b, nil
}
