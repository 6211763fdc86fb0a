package ntlm

// AuthenticateMessage is the AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3), the
// client's proof of identity.
type AuthenticateMessage struct {
	Flags                     NegotiateFlags
	LmChallengeResponse       []byte
	NtChallengeResponse       []byte
	Domain, User, Workstation string
	EncryptedRandomSessionKey []byte
	Version                   *Version
	// MIC is the 16-byte message integrity code, nil when the message has
	// no room for one. Whether it is meaningful is said by MsvAvFlags inside
	// the NTLMv2 response, not by the message layout.
	MIC []byte
}

const (
	authenticateHead = 64 // up to and excluding Version
	micOffset        = 72 // after Version
	micSize          = 16
)

// Marshal encodes the message with payload in the order Domain, User,
// Workstation, LM response, NT response, session key (as in MS-NLMP 4.2.4.3).
// Strings are UTF-16, which this package always negotiates.
func (m *AuthenticateMessage) Marshal() ([]byte, error) {
	const name = "AUTHENTICATE_MESSAGE"
	if !m.Flags.Has(FlagUnicode) {
		return nil, &ProtocolError{Reason: "AUTHENTICATE_MESSAGE without UNICODE is not supported"}
	}
	if m.MIC != nil && len(m.MIC) != micSize {
		return nil, &FormatError{Message: name, Field: "MIC", Reason: "must be 16 bytes"}
	}
	fields := []struct {
		name string
		at   int
		data []byte
	}{
		{"DomainName", 28, toUTF16(m.Domain)},
		{"UserName", 36, toUTF16(m.User)},
		{"Workstation", 44, toUTF16(m.Workstation)},
		{"LmChallengeResponse", 12, m.LmChallengeResponse},
		{"NtChallengeResponse", 20, m.NtChallengeResponse},
		{"EncryptedRandomSessionKey", 52, m.EncryptedRandomSessionKey},
	}
	head := authenticateHead
	if m.Version != nil || m.MIC != nil {
		head = micOffset
	}
	if m.MIC != nil {
		head += micSize
	}
	w := newWriter(typeAuthenticate, head)
	for _, f := range fields {
		if err := checkFieldLen(name, f.name, len(f.data)); err != nil {
			return nil, err
		}
		w.putField(f.at, f.data)
	}
	w.putU32(60, uint32(m.Flags))
	if m.Version != nil {
		copy(w.head[64:], m.Version.bytes())
	}
	if m.MIC != nil {
		copy(w.head[micOffset:], m.MIC)
	}
	return w.bytes(), nil
}

// ParseAuthenticate parses an AUTHENTICATE_MESSAGE. Version and MIC are
// read when the lowest payload offset leaves room for them.
func ParseAuthenticate(b []byte) (*AuthenticateMessage, error) {
	r := &reader{msg: "AUTHENTICATE_MESSAGE", b: b, head: authenticateHead}
	if err := r.header(typeAuthenticate, authenticateHead); err != nil {
		return nil, err
	}
	m := &AuthenticateMessage{Flags: NegotiateFlags(r.u32(60))}
	descriptors := []int{12, 20, 28, 36, 44, 52}
	payloadStart := int64(len(b))
	for _, at := range descriptors {
		if off := r.fieldOffset(at); off >= 0 && off < payloadStart {
			payloadStart = off
		}
	}
	if payloadStart >= micOffset {
		v := parseVersion(b[64:72])
		if m.Flags.Has(FlagVersion) {
			m.Version = &v
		}
		r.head = micOffset
	}
	if payloadStart >= micOffset+micSize {
		m.MIC = append([]byte(nil), b[micOffset:micOffset+micSize]...)
		r.head = micOffset + micSize
	}
	var err error
	get := func(name string, at int) []byte {
		if err != nil {
			return nil
		}
		var v []byte
		v, err = r.field(name, at)
		return v
	}
	m.LmChallengeResponse = get("LmChallengeResponse", 12)
	m.NtChallengeResponse = get("NtChallengeResponse", 20)
	dom := get("DomainName", 28)
	user := get("UserName", 36)
	ws := get("Workstation", 44)
	m.EncryptedRandomSessionKey = get("EncryptedRandomSessionKey", 52)
	if err != nil {
		return nil, err
	}
	unicode := m.Flags.Has(FlagUnicode)
	if m.Domain, err = r.str("DomainName", dom, unicode); err != nil {
		return nil, err
	}
	if m.User, err = r.str("UserName", user, unicode); err != nil {
		return nil, err
	}
	if m.Workstation, err = r.str("Workstation", ws, unicode); err != nil {
		return nil, err
	}
	return m, nil
}
