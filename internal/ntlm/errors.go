package ntlm

import (
	"errors"
	"fmt"
)

// FormatError reports a malformed NTLM message: wrong signature or type, a
// field pointing outside the message, a bad AV_PAIR list.
type FormatError struct {
	Message string // "NEGOTIATE_MESSAGE", "CHALLENGE_MESSAGE", "AUTHENTICATE_MESSAGE", ...
	Field   string // the field at fault, empty for the message as a whole
	Reason  string
}

func (e *FormatError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("ntlm: malformed %s: %s", e.Message, e.Reason)
	}
	return fmt.Sprintf("ntlm: malformed %s: %s: %s", e.Message, e.Field, e.Reason)
}

// ProtocolError reports a well-formed message that asks for something this
// package will not do (NTLMv1, no extended session security, OEM strings) or
// that arrives out of order.
type ProtocolError struct {
	Reason string
}

func (e *ProtocolError) Error() string { return "ntlm: " + e.Reason }

// NoTimestampError reports a CHALLENGE_MESSAGE without MsvAvTimestamp,
// which a Client refuses unless ClientConfig.AllowNoTimestamp is set. Every
// Windows since Server 2008 sends one; without it the client sends no MIC,
// so an attacker on the path who strips it can change the challenge
// unnoticed and relay the login to another host.
type NoTimestampError struct{}

func (e *NoTimestampError) Error() string {
	return "ntlm: the server's challenge has no timestamp, so nothing (no MIC) would protect the handshake against tampering or a relay; refused: allow it (cimjob --ntlm-allow-no-timestamp, wsman.NTLMAuth.AllowNoTimestamp) only for a host known to be older than Windows Server 2008"
}

// AuthFailure says why an acceptor refused an AUTHENTICATE_MESSAGE.
type AuthFailure int

// Reasons for an AuthError. ReasonUnknownUser and ReasonWrongPassword must
// look the same to the remote peer; they differ here for logs and tests.
const (
	ReasonWrongPassword AuthFailure = iota + 1
	ReasonUnknownUser
	ReasonAnonymous
	ReasonNTLMv1
	ReasonMICMismatch
	ReasonChannelBindings
	ReasonMICMissing
)

func (r AuthFailure) String() string {
	switch r {
	case ReasonWrongPassword:
		return "wrong password (NTLMv2 response does not verify)"
	case ReasonUnknownUser:
		return "unknown user"
	case ReasonAnonymous:
		return "anonymous authentication refused"
	case ReasonNTLMv1:
		return "NTLMv1 response refused"
	case ReasonMICMismatch:
		return "message integrity code (MIC) does not verify"
	case ReasonChannelBindings:
		return "channel bindings missing or do not match"
	case ReasonMICMissing:
		return "no message integrity code (MIC), which the challenge's timestamp requires"
	}
	return fmt.Sprintf("AuthFailure(%d)", int(r))
}

// AuthError is returned by Acceptor.Accept when the peer's credentials or
// integrity checks fail. It is distinct from FormatError so that a server can
// answer 401 to one and 400 to the other.
type AuthError struct {
	Domain, User string
	Reason       AuthFailure
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("ntlm: authentication failed for %q: %s", qualified(e.Domain, e.User), e.Reason)
}

// Is makes errors.Is(err, ErrAuthenticationFailed) true for every AuthError.
func (e *AuthError) Is(target error) bool { return target == ErrAuthenticationFailed }

// ErrAuthenticationFailed matches every *AuthError under errors.Is.
var ErrAuthenticationFailed = errors.New("ntlm: authentication failed")

// DowngradeError reports a handshake whose flags lack what session
// security needs: 128-bit keys, signing, sealing, key exchange and extended
// session security. Windows always offers all of them, so their absence
// means a peer too old to trust or a man in the middle who stripped them
// (the flags are covered by the MIC only when the server sent a
// timestamp, which the same attacker can strip), hoping for a 40-bit key.
type DowngradeError struct {
	Message string         // the message at fault: "CHALLENGE_MESSAGE" or "AUTHENTICATE_MESSAGE"
	Flags   NegotiateFlags // the flags it carried (for the acceptor: those agreed)
	Missing NegotiateFlags
}

func (e *DowngradeError) Error() string {
	return fmt.Sprintf("ntlm: %s lacks %s (session security downgrade refused)", e.Message, e.Missing)
}

// Is makes a downgraded AUTHENTICATE_MESSAGE match ErrAuthenticationFailed,
// so that an acceptor's server answers it as it answers bad credentials.
func (e *DowngradeError) Is(target error) bool {
	return target == ErrAuthenticationFailed && e.Message == "AUTHENTICATE_MESSAGE"
}

// requiredSessionFlags are the flags a client requires of a CHALLENGE:
// without them a session's keys are weak (40- or 56-bit seal keys, no key
// exchange) or messages unprotected.
const requiredSessionFlags = Flag128 | FlagSign | FlagSeal | FlagKeyExchange | FlagExtendedSessionSecurity

// requiredAcceptFlags are what an acceptor requires of an AUTHENTICATE:
// the same but SIGN, which ntlm-auth (pywinrm) leaves out although it
// seals; a sealed message carries its signature anyway, and SIGN changes
// no key.
const requiredAcceptFlags = requiredSessionFlags &^ FlagSign

// checkSessionFlags returns a *DowngradeError when flags lack any of
// required.
func checkSessionFlags(message string, flags, required NegotiateFlags) error {
	if missing := required &^ flags; missing != 0 {
		return &DowngradeError{Message: message, Flags: flags, Missing: missing}
	}
	return nil
}

// IntegrityError reports a sealed or signed message whose signature does not
// verify, or a session that is unusable after such a failure.
type IntegrityError struct {
	Seq    uint32 // the sequence number that was expected
	Reason string
}

func (e *IntegrityError) Error() string {
	return fmt.Sprintf("ntlm: message integrity check failed at sequence %d: %s", e.Seq, e.Reason)
}

func qualified(domain, user string) string {
	if domain == "" {
		return user
	}
	return domain + `\` + user
}
