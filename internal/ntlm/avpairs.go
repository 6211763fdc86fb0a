package ntlm

import (
	"encoding/binary"
	"fmt"
	"time"
)

// AVID is an AV_PAIR identifier (MS-NLMP 2.2.2.1).
type AVID uint16

// AV_PAIR identifiers.
const (
	AvEOL             AVID = 0x0000
	AvNbComputerName  AVID = 0x0001
	AvNbDomainName    AVID = 0x0002
	AvDNSComputerName AVID = 0x0003
	AvDNSDomainName   AVID = 0x0004
	AvDNSTreeName     AVID = 0x0005
	AvFlags           AVID = 0x0006
	AvTimestamp       AVID = 0x0007
	AvSingleHost      AVID = 0x0008
	AvTargetName      AVID = 0x0009
	AvChannelBindings AVID = 0x000A
)

func (id AVID) String() string {
	switch id {
	case AvEOL:
		return "MsvAvEOL"
	case AvNbComputerName:
		return "MsvAvNbComputerName"
	case AvNbDomainName:
		return "MsvAvNbDomainName"
	case AvDNSComputerName:
		return "MsvAvDnsComputerName"
	case AvDNSDomainName:
		return "MsvAvDnsDomainName"
	case AvDNSTreeName:
		return "MsvAvDnsTreeName"
	case AvFlags:
		return "MsvAvFlags"
	case AvTimestamp:
		return "MsvAvTimestamp"
	case AvSingleHost:
		return "MsvAvSingleHost"
	case AvTargetName:
		return "MsvAvTargetName"
	case AvChannelBindings:
		return "MsvAvChannelBindings"
	}
	return fmt.Sprintf("AvId(0x%04x)", uint16(id))
}

// MsvAvFlags bits (MS-NLMP 2.2.2.1).
const (
	AvFlagConstrained        uint32 = 0x1
	AvFlagMICPresent         uint32 = 0x2
	AvFlagUntrustedSPNSource uint32 = 0x4
)

// AVPair is one attribute-value pair of a TargetInfo list.
type AVPair struct {
	ID    AVID
	Value []byte
}

// AVPairs is a TargetInfo list without its terminating MsvAvEOL, which
// Marshal adds and ParseAVPairs requires.
type AVPairs []AVPair

// maxAVPairs bounds a parsed list; Windows sends fewer than a dozen.
const maxAVPairs = 64

// ParseAVPairs parses an AV_PAIR list that must end with MsvAvEOL; bytes
// after the EOL (the NTLMv2 response carries padding there) are ignored.
func ParseAVPairs(b []byte) (AVPairs, error) {
	fail := func(reason string, args ...any) error {
		return &FormatError{Message: "AV_PAIR list", Reason: fmt.Sprintf(reason, args...)}
	}
	var out AVPairs
	for off := 0; ; {
		if len(b)-off < 4 {
			return nil, fail("truncated at offset %d, no MsvAvEOL", off)
		}
		id := AVID(binary.LittleEndian.Uint16(b[off:]))
		n := int(binary.LittleEndian.Uint16(b[off+2:]))
		off += 4
		if id == AvEOL {
			if n != 0 {
				return nil, fail("MsvAvEOL with length %d", n)
			}
			return out, nil
		}
		if n > len(b)-off {
			return nil, fail("%s length %d beyond the list (%d bytes left)", id, n, len(b)-off)
		}
		if len(out) == maxAVPairs {
			return nil, fail("more than %d pairs", maxAVPairs)
		}
		out = append(out, AVPair{ID: id, Value: b[off : off+n]})
		off += n
	}
}

// Marshal encodes the list with its terminating MsvAvEOL.
func (p AVPairs) Marshal() []byte {
	var b []byte
	for _, a := range p {
		b = binary.LittleEndian.AppendUint16(b, uint16(a.ID))
		b = binary.LittleEndian.AppendUint16(b, uint16(len(a.Value)))
		b = append(b, a.Value...)
	}
	return append(b, 0, 0, 0, 0)
}

// Get returns the value of the first pair with the given ID.
func (p AVPairs) Get(id AVID) ([]byte, bool) {
	for _, a := range p {
		if a.ID == id {
			return a.Value, true
		}
	}
	return nil, false
}

// String returns a UTF-16 name pair as a string ("" when absent or odd).
func (p AVPairs) String(id AVID) string {
	v, _ := p.Get(id)
	s, _ := fromUTF16(v)
	return s
}

// Flags returns MsvAvFlags, 0 when absent or not 4 bytes long.
func (p AVPairs) Flags() uint32 {
	v, ok := p.Get(AvFlags)
	if !ok || len(v) != 4 {
		return 0
	}
	return binary.LittleEndian.Uint32(v)
}

// Timestamp returns MsvAvTimestamp as raw FILETIME bytes.
func (p AVPairs) Timestamp() ([]byte, bool) {
	v, ok := p.Get(AvTimestamp)
	if !ok || len(v) != 8 {
		return nil, false
	}
	return v, true
}

// filetimeEpoch is 1601-01-01, the FILETIME epoch.
var filetimeEpoch = time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC)

// Filetime encodes t as a little-endian FILETIME (100 ns since 1601).
func Filetime(t time.Time) []byte {
	// Split the computation: time.Duration overflows after ~292 years.
	secs := t.Unix() - filetimeEpoch.Unix()
	ft := uint64(secs)*10_000_000 + uint64(t.Nanosecond()/100)
	return binary.LittleEndian.AppendUint64(nil, ft)
}
