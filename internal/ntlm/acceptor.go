package ntlm

import (
	"crypto/hmac"
	"fmt"
	"io"
	"time"
)

// AcceptorConfig describes the server an Acceptor speaks for. Zero Rand,
// Now and Version select crypto/rand, time.Now and DefaultVersion.
type AcceptorConfig struct {
	// Names announced in the CHALLENGE_MESSAGE TargetInfo. NetBIOSDomain is
	// also the TargetName.
	NetBIOSDomain, NetBIOSComputer string
	DNSDomain, DNSComputer         string
	// SealingOptional, when true, accepts a client that does not negotiate
	// 128-bit sealing with key exchange: only for a server that never
	// seals (HTTPS, TLS protecting the messages). By default such an
	// AUTHENTICATE_MESSAGE is refused with a *DowngradeError.
	SealingOptional bool
	// NoTimestamp leaves MsvAvTimestamp out of the challenge, as servers
	// older than Windows Server 2008 do; clients then send no MIC and none
	// is required. Only to model such a server in tests: a Client refuses
	// its challenge unless ClientConfig.AllowNoTimestamp.
	NoTimestamp bool
	// ChannelBindings, when set, must match the client's
	// MsvAvChannelBindings (EPA "required"); when nil they are not checked.
	ChannelBindings *ChannelBindings
	Version         *Version
	Rand            io.Reader
	Now             func() time.Time
}

// LookupFunc returns the password of a user as named in the
// AUTHENTICATE_MESSAGE (domain may be empty, user may be a UPN).
type LookupFunc func(domain, user string) (password string, ok bool)

// Identity is who an Acceptor authenticated, as the client named itself.
type Identity struct {
	Domain, User, Workstation string
}

// Acceptor is the server side of one NTLM handshake (one connection):
// Challenge, then Accept.
type Acceptor struct {
	cfg       AcceptorConfig
	negotiate []byte
	challenge []byte
	cm        *ChallengeMessage
	accepted  bool
}

// NewAcceptor returns an Acceptor for one handshake.
func NewAcceptor(cfg AcceptorConfig) *Acceptor {
	fillDefaults(&cfg.Rand, &cfg.Now, &cfg.Version)
	return &Acceptor{cfg: cfg}
}

// acceptorOffers is what the server grants when the client asks for it.
const acceptorOffers = FlagSign | FlagSeal | FlagAlwaysSign | FlagExtendedSessionSecurity |
	Flag128 | Flag56 | FlagKeyExchange | FlagVersion | FlagRequestTarget | FlagIdentify

// Challenge parses the client's NEGOTIATE_MESSAGE and returns the
// CHALLENGE_MESSAGE, with a fresh server challenge and MsvAvTimestamp (so
// that clients send a MIC) unless the config says NoTimestamp.
func (a *Acceptor) Challenge(negotiate []byte) ([]byte, error) {
	if a.cm != nil {
		return nil, &ProtocolError{Reason: "Challenge called twice on one handshake"}
	}
	nm, err := ParseNegotiate(negotiate)
	if err != nil {
		return nil, err
	}
	switch {
	case nm.Flags&(FlagUnicode|FlagOEM) == 0:
		// ntlm-auth (pywinrm) offers OEM alone yet handles a UNICODE
		// challenge, as Windows answers; a client offering neither is broken.
		return nil, &ProtocolError{Reason: "client offered neither UNICODE nor OEM"}
	case !nm.Flags.Has(FlagExtendedSessionSecurity):
		return nil, &ProtocolError{Reason: "client did not offer extended session security (NTLMv1 is refused)"}
	}
	cm := &ChallengeMessage{
		Flags:      FlagUnicode | FlagNTLM | FlagTargetInfo | FlagTargetTypeServer | nm.Flags&acceptorOffers,
		TargetName: a.cfg.NetBIOSDomain,
		TargetInfo: AVPairs{
			{ID: AvNbDomainName, Value: toUTF16(a.cfg.NetBIOSDomain)},
			{ID: AvNbComputerName, Value: toUTF16(a.cfg.NetBIOSComputer)},
			{ID: AvDNSDomainName, Value: toUTF16(a.cfg.DNSDomain)},
			{ID: AvDNSComputerName, Value: toUTF16(a.cfg.DNSComputer)},
		},
	}
	if !a.cfg.NoTimestamp {
		cm.TargetInfo = append(cm.TargetInfo, AVPair{ID: AvTimestamp, Value: Filetime(a.cfg.Now())})
	}
	if cm.Flags.Has(FlagVersion) {
		cm.Version = a.cfg.Version
	}
	if _, err := io.ReadFull(a.cfg.Rand, cm.ServerChallenge[:]); err != nil {
		return nil, fmt.Errorf("ntlm: server challenge: %w", err)
	}
	b, err := cm.Marshal()
	if err != nil {
		return nil, err
	}
	a.negotiate = append([]byte(nil), negotiate...)
	a.challenge, a.cm = b, cm
	return b, nil
}

// ntlmv2MinResponse is NTProofStr (16) + the fixed part of the client
// challenge (28) + an MsvAvEOL (4).
const ntlmv2MinResponse = 16 + 28 + 4

// Accept verifies the client's AUTHENTICATE_MESSAGE: the NTLMv2 response
// against the password lookup returns, the MIC (which the challenge's
// timestamp makes mandatory), and the channel bindings when the config
// requires them. A credential failure is an *AuthError and a downgraded
// session (see AcceptorConfig.SealingOptional) a *DowngradeError, both
// matching ErrAuthenticationFailed under errors.Is; a malformed message is
// a *FormatError.
func (a *Acceptor) Accept(authenticate []byte, lookup LookupFunc) (*Session, Identity, error) {
	if a.cm == nil {
		return nil, Identity{}, &ProtocolError{Reason: "Accept called before Challenge"}
	}
	if a.accepted {
		// One challenge answers one AUTHENTICATE_MESSAGE: no retries against it.
		return nil, Identity{}, &ProtocolError{Reason: "Accept called twice on one handshake"}
	}
	a.accepted = true
	am, err := ParseAuthenticate(authenticate)
	if err != nil {
		return nil, Identity{}, err
	}
	id := Identity{Domain: am.Domain, User: am.User, Workstation: am.Workstation}
	fail := func(r AuthFailure) (*Session, Identity, error) {
		return nil, id, &AuthError{Domain: am.Domain, User: am.User, Reason: r}
	}
	nt := am.NtChallengeResponse
	switch {
	case am.Flags.Has(FlagAnonymous) || (am.User == "" && len(nt) == 0):
		return fail(ReasonAnonymous)
	case len(nt) == 24:
		return fail(ReasonNTLMv1)
	case len(nt) < ntlmv2MinResponse:
		return nil, id, &FormatError{Message: "AUTHENTICATE_MESSAGE", Field: "NtChallengeResponse", Reason: fmt.Sprintf("%d bytes, too short for NTLMv2", len(nt))}
	}
	ntProofStr, temp := nt[:16], nt[16:]
	if temp[0] != 1 || temp[1] != 1 {
		return nil, id, &FormatError{Message: "NTLMv2_CLIENT_CHALLENGE", Field: "RespType", Reason: fmt.Sprintf("%d/%d, want 1/1", temp[0], temp[1])}
	}
	pairs, err := ParseAVPairs(temp[28:])
	if err != nil {
		return nil, id, err
	}

	password, ok := lookup(am.Domain, am.User)
	if !ok {
		return fail(ReasonUnknownUser)
	}
	key := ntowfV2(password, am.User, am.Domain)
	want, sessionBaseKey := ntlmv2Response(key, a.cm.ServerChallenge[:], temp)
	if !hmac.Equal(want[:16], ntProofStr) {
		return fail(ReasonWrongPassword)
	}
	if cb := a.cfg.ChannelBindings; cb != nil {
		got, present := pairs.Get(AvChannelBindings)
		if !present || !hmac.Equal(got, cb.Hash()) {
			return fail(ReasonChannelBindings)
		}
	}

	// The session runs under what both sides agreed to, which must not
	// have been talked down (see DowngradeError).
	flags := am.Flags & a.cm.Flags
	if !a.cfg.SealingOptional {
		if err := checkSessionFlags("AUTHENTICATE_MESSAGE", flags, requiredAcceptFlags); err != nil {
			return nil, id, err
		}
	}
	exported := sessionBaseKey // KXKEY for NTLMv2
	if flags.Has(FlagKeyExchange) {
		if len(am.EncryptedRandomSessionKey) != 16 {
			return nil, id, &FormatError{Message: "AUTHENTICATE_MESSAGE", Field: "EncryptedRandomSessionKey", Reason: fmt.Sprintf("%d bytes with KEY_EXCH, want 16", len(am.EncryptedRandomSessionKey))}
		}
		exported = rc4k(sessionBaseKey, am.EncryptedRandomSessionKey)
	}
	// After a challenge with a timestamp (see NoTimestamp) the client
	// must send a MIC, as Windows requires: without it nothing shows that
	// the messages (flags, TargetInfo) were not changed on the way, which
	// is how a relay strips the timestamp from a genuine challenge.
	_, stamped := a.cm.TargetInfo.Timestamp()
	micFlag := pairs.Flags()&AvFlagMICPresent != 0
	switch {
	case (stamped || micFlag) && (!micFlag || am.MIC == nil):
		return fail(ReasonMICMissing)
	case micFlag && !hmac.Equal(am.MIC, computeMIC(exported, a.negotiate, a.challenge, authenticate)):
		return fail(ReasonMICMismatch)
	}
	return newSession(flags, exported, false), id, nil
}
