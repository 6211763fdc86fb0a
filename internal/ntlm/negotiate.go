package ntlm

// NegotiateMessage is the NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1), sent by the
// client to open a handshake.
type NegotiateMessage struct {
	Flags NegotiateFlags
	// Domain and Workstation are the OEM-encoded names a client may supply
	// (OEM_DOMAIN_SUPPLIED / OEM_WORKSTATION_SUPPLIED); usually empty.
	Domain, Workstation string
	// Version is present when the VERSION flag is set.
	Version *Version
}

const negotiateHead = 32 // signature, type, flags, two field descriptors

// Marshal encodes the message. A Version is written when non-nil, and the
// OEM_*_SUPPLIED flags follow the presence of Domain and Workstation.
func (m *NegotiateMessage) Marshal() ([]byte, error) {
	const name = "NEGOTIATE_MESSAGE"
	if err := checkFieldLen(name, "DomainName", len(m.Domain)); err != nil {
		return nil, err
	}
	if err := checkFieldLen(name, "Workstation", len(m.Workstation)); err != nil {
		return nil, err
	}
	head := negotiateHead
	if m.Version != nil {
		head += 8
	}
	flags := m.Flags &^ (FlagOEMDomainSupplied | FlagOEMWorkstationSupplied)
	if m.Domain != "" {
		flags |= FlagOEMDomainSupplied
	}
	if m.Workstation != "" {
		flags |= FlagOEMWorkstationSupplied
	}
	w := newWriter(typeNegotiate, head)
	w.putU32(12, uint32(flags))
	w.putField(16, []byte(m.Domain))
	w.putField(24, []byte(m.Workstation))
	if m.Version != nil {
		copy(w.head[32:], m.Version.bytes())
	}
	return w.bytes(), nil
}

// ParseNegotiate parses a NEGOTIATE_MESSAGE. Old clients send only the
// first 16 bytes; the descriptors and version are read when present.
func ParseNegotiate(b []byte) (*NegotiateMessage, error) {
	r := &reader{msg: "NEGOTIATE_MESSAGE", b: b}
	if err := r.header(typeNegotiate, 16); err != nil {
		return nil, err
	}
	m := &NegotiateMessage{Flags: NegotiateFlags(r.u32(12))}
	if len(b) < negotiateHead {
		return m, nil
	}
	r.head = negotiateHead
	if m.Flags.Has(FlagVersion) && len(b) >= negotiateHead+8 {
		r.head = negotiateHead + 8
		v := parseVersion(b[32:40])
		m.Version = &v
	}
	dom, err := r.field("DomainName", 16)
	if err != nil {
		return nil, err
	}
	ws, err := r.field("Workstation", 24)
	if err != nil {
		return nil, err
	}
	m.Domain, m.Workstation = string(dom), string(ws)
	return m, nil
}
