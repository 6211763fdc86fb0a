package ntlm

import (
	"fmt"
	"strings"
)

// NegotiateFlags is the NegotiateFlags field of every NTLM message
// (MS-NLMP 2.2.2.5).
type NegotiateFlags uint32

// Negotiate flags, named as in MS-NLMP 2.2.2.5.
const (
	FlagUnicode                 NegotiateFlags = 0x00000001
	FlagOEM                     NegotiateFlags = 0x00000002
	FlagRequestTarget           NegotiateFlags = 0x00000004
	FlagSign                    NegotiateFlags = 0x00000010
	FlagSeal                    NegotiateFlags = 0x00000020
	FlagDatagram                NegotiateFlags = 0x00000040
	FlagLMKey                   NegotiateFlags = 0x00000080
	FlagNTLM                    NegotiateFlags = 0x00000200
	FlagAnonymous               NegotiateFlags = 0x00000800
	FlagOEMDomainSupplied       NegotiateFlags = 0x00001000
	FlagOEMWorkstationSupplied  NegotiateFlags = 0x00002000
	FlagAlwaysSign              NegotiateFlags = 0x00008000
	FlagTargetTypeDomain        NegotiateFlags = 0x00010000
	FlagTargetTypeServer        NegotiateFlags = 0x00020000
	FlagExtendedSessionSecurity NegotiateFlags = 0x00080000
	FlagIdentify                NegotiateFlags = 0x00100000
	FlagRequestNonNTSessionKey  NegotiateFlags = 0x00400000
	FlagTargetInfo              NegotiateFlags = 0x00800000
	FlagVersion                 NegotiateFlags = 0x02000000
	Flag128                     NegotiateFlags = 0x20000000
	FlagKeyExchange             NegotiateFlags = 0x40000000
	Flag56                      NegotiateFlags = 0x80000000
)

var flagNames = []struct {
	flag NegotiateFlags
	name string
}{
	{FlagUnicode, "UNICODE"},
	{FlagOEM, "OEM"},
	{FlagRequestTarget, "REQUEST_TARGET"},
	{FlagSign, "SIGN"},
	{FlagSeal, "SEAL"},
	{FlagDatagram, "DATAGRAM"},
	{FlagLMKey, "LM_KEY"},
	{FlagNTLM, "NTLM"},
	{FlagAnonymous, "ANONYMOUS"},
	{FlagOEMDomainSupplied, "OEM_DOMAIN_SUPPLIED"},
	{FlagOEMWorkstationSupplied, "OEM_WORKSTATION_SUPPLIED"},
	{FlagAlwaysSign, "ALWAYS_SIGN"},
	{FlagTargetTypeDomain, "TARGET_TYPE_DOMAIN"},
	{FlagTargetTypeServer, "TARGET_TYPE_SERVER"},
	{FlagExtendedSessionSecurity, "EXTENDED_SESSIONSECURITY"},
	{FlagIdentify, "IDENTIFY"},
	{FlagRequestNonNTSessionKey, "REQUEST_NON_NT_SESSION_KEY"},
	{FlagTargetInfo, "TARGET_INFO"},
	{FlagVersion, "VERSION"},
	{Flag128, "128"},
	{FlagKeyExchange, "KEY_EXCH"},
	{Flag56, "56"},
}

// Has reports whether every flag in want is set.
func (f NegotiateFlags) Has(want NegotiateFlags) bool { return f&want == want }

// String lists the set flags by name; bits without a name (reserved in
// MS-NLMP) are shown as their raw value rather than dropped.
func (f NegotiateFlags) String() string {
	var parts []string
	rest := f
	for _, n := range flagNames {
		if f&n.flag != 0 {
			parts = append(parts, n.name)
			rest &^= n.flag
		}
	}
	if rest != 0 {
		parts = append(parts, fmt.Sprintf("reserved(0x%08x)", uint32(rest)))
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, "|")
}

// Version is the VERSION structure (MS-NLMP 2.2.2.10): the sender's OS
// version, for debugging only.
type Version struct {
	Major, Minor uint8
	Build        uint16
	// Revision is the NTLMSSP revision; 15 (NTLMSSP_REVISION_W2K3) is the
	// only value in use.
	Revision uint8
}

// RevisionW2K3 is NTLMSSP_REVISION_W2K3, the current NTLMSSP revision.
const RevisionW2K3 = 0x0F

// DefaultVersion is what this package announces: Windows 10 / Server 2016
// and later, revision W2K3.
var DefaultVersion = Version{Major: 10, Minor: 0, Build: 20348, Revision: RevisionW2K3}

func (v Version) String() string {
	return fmt.Sprintf("%d.%d.%d rev %d", v.Major, v.Minor, v.Build, v.Revision)
}

func (v Version) bytes() []byte {
	return []byte{v.Major, v.Minor, byte(v.Build), byte(v.Build >> 8), 0, 0, 0, v.Revision}
}

func parseVersion(b []byte) Version {
	return Version{Major: b[0], Minor: b[1], Build: uint16(b[2]) | uint16(b[3])<<8, Revision: b[7]}
}
