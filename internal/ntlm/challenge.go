package ntlm

// ChallengeMessage is the CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2), the server's
// answer to a NEGOTIATE_MESSAGE.
type ChallengeMessage struct {
	Flags           NegotiateFlags
	TargetName      string
	ServerChallenge [8]byte
	TargetInfo      AVPairs
	// Version is present when the VERSION flag is set.
	Version *Version
}

const challengeHead = 48 // up to and excluding Version

// Marshal encodes the message, the TargetName (UTF-16) before the
// TargetInfo in the payload, as Windows and the MS-NLMP examples lay it out.
func (m *ChallengeMessage) Marshal() ([]byte, error) {
	const name = "CHALLENGE_MESSAGE"
	if !m.Flags.Has(FlagUnicode) {
		return nil, &ProtocolError{Reason: "CHALLENGE_MESSAGE without UNICODE is not supported"}
	}
	tn := toUTF16(m.TargetName)
	ti := m.TargetInfo.Marshal()
	if err := checkFieldLen(name, "TargetName", len(tn)); err != nil {
		return nil, err
	}
	if err := checkFieldLen(name, "TargetInfo", len(ti)); err != nil {
		return nil, err
	}
	head := challengeHead
	if m.Version != nil {
		head += 8
	}
	w := newWriter(typeChallenge, head)
	w.putField(12, tn)
	w.putU32(20, uint32(m.Flags))
	copy(w.head[24:32], m.ServerChallenge[:])
	w.putField(40, ti)
	if m.Version != nil {
		copy(w.head[48:], m.Version.bytes())
	}
	return w.bytes(), nil
}

// ParseChallenge parses a CHALLENGE_MESSAGE. TargetInfo must be a valid
// AV_PAIR list when present.
func ParseChallenge(b []byte) (*ChallengeMessage, error) {
	r := &reader{msg: "CHALLENGE_MESSAGE", b: b}
	if err := r.header(typeChallenge, challengeHead); err != nil {
		return nil, err
	}
	m := &ChallengeMessage{Flags: NegotiateFlags(r.u32(20))}
	copy(m.ServerChallenge[:], b[24:32])
	r.head = challengeHead
	if m.Flags.Has(FlagVersion) && len(b) >= challengeHead+8 {
		r.head = challengeHead + 8
		v := parseVersion(b[48:56])
		m.Version = &v
	}
	tn, err := r.field("TargetName", 12)
	if err != nil {
		return nil, err
	}
	if m.TargetName, err = r.str("TargetName", tn, m.Flags.Has(FlagUnicode)); err != nil {
		return nil, err
	}
	ti, err := r.field("TargetInfo", 40)
	if err != nil {
		return nil, err
	}
	if ti != nil {
		if m.TargetInfo, err = ParseAVPairs(ti); err != nil {
			return nil, err
		}
	}
	return m, nil
}
