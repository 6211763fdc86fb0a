package krb

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/krberror"
	"github.com/jcmturner/gokrb5/v8/messages"

	"github.com/cimjob/cimjob/internal/msgenc"
)

// ErrAuthenticationFailed matches (errors.Is) every error that means the
// credentials were refused: a wrong password or key, an unknown or revoked
// principal, a ticket the acceptor cannot decrypt.
var ErrAuthenticationFailed = errors.New("krb: authentication failed")

// ErrClockSkew matches errors caused by clocks too far apart
// (KRB_AP_ERR_SKEW), from the KDC or from the acceptor.
var ErrClockSkew = errors.New("krb: clock skew too great")

// ErrNoTicket matches (errors.Is) a *CredentialsError for a client given
// no password and no keytab whose credential cache does not exist: nobody
// ran kinit.
var ErrNoTicket = errors.New("krb: no Kerberos ticket")

// ErrNotEstablished is returned by Seal and Unseal before the handshake
// ends; it is msgenc.ErrNotEstablished, which the NTLM contexts return too.
var ErrNotEstablished = msgenc.ErrNotEstablished

// Error codes (RFC 4120 7.5.9) that mean the credentials were refused.
var authFailureCodes = map[int32]bool{
	errorcode.KDC_ERR_C_PRINCIPAL_UNKNOWN: true,
	errorcode.KDC_ERR_CLIENT_REVOKED:      true,
	errorcode.KDC_ERR_KEY_EXPIRED:         true,
	errorcode.KDC_ERR_PREAUTH_FAILED:      true,
	errorcode.KRB_AP_ERR_BAD_INTEGRITY:    true,
	errorcode.KRB_AP_ERR_MODIFIED:         true,
	errorcode.KRB_AP_ERR_BADMATCH:         true,
	errorcode.KRB_AP_ERR_REPEAT:           true,
}

// KerberosError is a KRB-ERROR from the KDC or the peer, or the equivalent
// refusal found locally (the acceptor refusing an AP-REQ).
type KerberosError struct {
	Op   string // "login", "service ticket", "accept", "mutual authentication"
	Code int32  // RFC 4120 7.5.9 error code, kept raw
	Text string // e-text or detail, may be empty
}

func (e *KerberosError) Error() string {
	s := fmt.Sprintf("krb: %s: %s", e.Op, errorcode.Lookup(e.Code))
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}

// Is makes ErrAuthenticationFailed and ErrClockSkew match by code.
func (e *KerberosError) Is(target error) bool {
	switch target {
	case ErrAuthenticationFailed:
		return authFailureCodes[e.Code]
	case ErrClockSkew:
		return e.Code == errorcode.KRB_AP_ERR_SKEW
	}
	return false
}

// CredentialsError reports credentials that cannot be used before anything
// is sent: no credentials at all, an unreadable keytab or cache, a cache for
// another principal, an unsupported cache type.
type CredentialsError struct {
	Reason string
	Err    error
	// NoTicket: the credential cache to use does not exist.
	NoTicket bool
}

func (e *CredentialsError) Error() string {
	if e.NoTicket {
		return "krb: no Kerberos ticket: " + e.Reason
	}
	if e.Err != nil {
		return "krb: credentials: " + e.Reason + ": " + e.Err.Error()
	}
	return "krb: credentials: " + e.Reason
}

func (e *CredentialsError) Unwrap() error { return e.Err }

// Is makes ErrNoTicket match a cache that does not exist.
func (e *CredentialsError) Is(target error) bool { return target == ErrNoTicket && e.NoTicket }

// ConfigError reports a krb5.conf that cannot be found or parsed.
type ConfigError struct {
	Path string
	Err  error
}

func (e *ConfigError) Error() string { return "krb: krb5.conf " + e.Path + ": " + e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// ExchangeError wraps any other failure talking to the KDC (network,
// encoding), with the operation.
type ExchangeError struct {
	Op  string
	Err error
	// KDC is true when the failure was in an exchange with the KDC
	// (unreachable, timed out, a reply that did not parse) rather than in
	// building a token locally: the credentials were not judged.
	KDC bool
	// Unreachable: no KDC of Realm could be reached at all (gokrb5's
	// networking root cause), whose text lists every address tried.
	Unreachable bool
	Realm       string
}

func (e *ExchangeError) Error() string {
	if e.Unreachable {
		s := "krb: " + e.Op + ": no KDC of realm " + e.Realm + " could be reached"
		if first := firstKDCFailure.FindStringSubmatch(e.Err.Error()); first != nil {
			// The last of its parts is the cause ("connection refused").
			parts := strings.Split(first[1], ": ")
			s += " (" + parts[len(parts)-1] + ")"
		}
		return s
	}
	return "krb: " + e.Op + ": " + e.Err.Error()
}

// firstKDCFailure finds the first of the per-address failures gokrb5 lists
// when no KDC answered; only the message's detail depends on it.
var firstKDCFailure = regexp.MustCompile(`error s[a-z]+ to ([^;)]{1,300})`)

func (e *ExchangeError) Unwrap() error { return e.Err }

// TokenError reports a GSS-API, SPNEGO or Kerberos token that is malformed
// or not what this side of the handshake expects.
type TokenError struct {
	Reason string
}

func (e *TokenError) Error() string { return "krb: bad token: " + e.Reason }

func tokenErr(format string, args ...any) error {
	return &TokenError{Reason: fmt.Sprintf(format, args...)}
}

// UnsupportedEtypeError reports a session key type for which this package
// cannot seal messages (RC4-HMAC and DES3 use the older RFC 1964/4757 token
// formats, which are not implemented).
type UnsupportedEtypeError struct {
	Etype int32
}

func (e *UnsupportedEtypeError) Error() string {
	return "krb: message sealing with encryption type " + strconv.Itoa(int(e.Etype)) + " is not supported (AES only)"
}

// WrapError reports a wrap token that fails to unseal: malformed, from the
// wrong side, out of sequence, or failing its integrity check.
type WrapError struct {
	Reason string
}

func (e *WrapError) Error() string { return "krb: unseal: " + e.Reason }

// SequenceError reports a wrap token whose sequence number is not the next
// one expected on this connection (a replayed, dropped or reordered
// message).
type SequenceError struct {
	Got, Want uint64
}

func (e *SequenceError) Error() string {
	return fmt.Sprintf("krb: unseal: sequence number %d, want %d", e.Got, e.Want)
}

// krbErrorInText finds the error code gokrb5 flattens into its error text:
// its client wraps a KRB-ERROR into a krberror.Krberror string without
// keeping the value, so the code can only be read back from
// "KRB Error: (24) KDC_ERR_PREAUTH_FAILED ...".
var krbErrorInText = regexp.MustCompile(`KRB Error: \((\d+)\)`)

// asExchangeBadKey is gokrb5's text when an AS-REP does not decrypt with the
// client's key: a wrong password when the KDC does not require
// pre-authentication.
var asExchangeBadKey = regexp.MustCompile(`AS_REP is not valid or client password/keytab incorrect`)

// kdcError turns an error from gokrb5's client into a typed error.
func kdcError(op, realm string, err error) error {
	var ke messages.KRBError
	if errors.As(err, &ke) {
		return &KerberosError{Op: op, Code: ke.ErrorCode, Text: ke.EText}
	}
	if m := krbErrorInText.FindStringSubmatch(err.Error()); m != nil {
		if code, cerr := strconv.Atoi(m[1]); cerr == nil {
			return &KerberosError{Op: op, Code: int32(code), Text: err.Error()}
		}
	}
	if asExchangeBadKey.MatchString(err.Error()) {
		return &KerberosError{Op: op, Code: errorcode.KDC_ERR_PREAUTH_FAILED, Text: "reply does not decrypt with the client's key"}
	}
	var kerr krberror.Krberror
	unreachable := errors.As(err, &kerr) && kerr.RootCause == krberror.NetworkingError
	return &ExchangeError{Op: op, Err: err, KDC: true, Unreachable: unreachable, Realm: realm}
}
