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
