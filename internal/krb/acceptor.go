package krb

import (
	"bytes"
	"errors"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/iana/chksumtype"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/service"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/cimjob/cimjob/internal/ntlm"
)

// AcceptorConfig configures the server side.
type AcceptorConfig struct {
	// Keytab holds the service keys (HTTP/host@REALM); any principal in it
	// is accepted.
	Keytab *keytab.Keytab
	// Scheme is the HTTP scheme the server offered: SchemeNegotiate (the
	// default) or SchemeKerberos. It decides Protocol; the token form is
	// read from the client's token.
	Scheme string
	// MaxClockSkew defaults to 5 minutes, as on Windows.
	MaxClockSkew time.Duration
	// ChannelBindings, when set, must match what the client bound the
	// context to (Extended Protection over HTTPS).
	ChannelBindings *ntlm.ChannelBindings
}

// Acceptor is the server side of one Kerberos security context: it
// verifies the client's AP-REQ with the keytab and answers with an AP-REP
// carrying a fresh acceptor subkey. It implements gss.Acceptor and belongs
// to one connection.
type Acceptor struct {
	sealer
	cfg  AcceptorConfig
	user string
	done bool
}

// NewAcceptor starts the server side of one handshake.
func NewAcceptor(cfg AcceptorConfig) *Acceptor {
	if cfg.Scheme == "" {
		cfg.Scheme = SchemeNegotiate
	}
	if cfg.MaxClockSkew == 0 {
		cfg.MaxClockSkew = 5 * time.Minute
	}
	return &Acceptor{cfg: cfg, sealer: sealer{scheme: cfg.Scheme}}
}

// Step accepts the client's first token, SPNEGO NegTokenInit or a bare
// Kerberos AP-REQ, and returns the answer in the same form. A refused
// client yields an error matching ErrAuthenticationFailed (or
// ErrClockSkew).
func (a *Acceptor) Step(in []byte) ([]byte, bool, error) {
	if a.done {
		return nil, false, tokenErr("Kerberos handshake has no further steps")
	}
	a.done = true
	oid, _, err := unframeToken(in)
	if err != nil {
		return nil, false, err
	}
	if oid.Equal(oidSPNEGO) {
		return a.stepSPNEGO(in)
	}
	if !isKerberosOID(oid) {
		return nil, false, tokenErr("mechanism %v is not Kerberos", oid)
	}
	rep, err := a.accept(in)
	return rep, err == nil, err
}

func (a *Acceptor) stepSPNEGO(in []byte) ([]byte, bool, error) {
	var tok spnego.SPNEGOToken
	if err := unmarshalSafely(func() error { return tok.Unmarshal(in) }); err != nil {
		return nil, false, tokenErr("SPNEGO: %v", err)
	}
	if !tok.Init {
		return nil, false, tokenErr("SPNEGO: expected a NegTokenInit")
	}
	init := tok.NegTokenInit
	// The optimistic token is for the first mechanism; anything but
	// Kerberos first (NTLM, NegoEx) is not for this acceptor.
	if len(init.MechTypes) == 0 || !isKerberosOID(init.MechTypes[0]) {
		return nil, false, tokenErr("SPNEGO: the client's first mechanism is not Kerberos")
	}
	if len(init.MechTokenBytes) == 0 {
		return nil, false, tokenErr("SPNEGO: no Kerberos token in the NegTokenInit")
	}
	rep, err := a.accept(init.MechTokenBytes)
	if err != nil {
		return nil, false, err
	}
	resp := spnego.NegTokenResp{
		NegState:      asn1.Enumerated(spnego.NegStateAcceptCompleted),
		SupportedMech: init.MechTypes[0],
		ResponseToken: rep,
	}
	out, err := resp.Marshal()
	if err != nil {
		return nil, false, err
	}
	return out, true, nil
}

// accept verifies a framed AP-REQ and returns the framed AP-REP (nil when
// the client did not ask for mutual authentication).
func (a *Acceptor) accept(token []byte) ([]byte, error) {
	tokID, msg, err := unframeKRB5(token)
	if err != nil {
		return nil, err
	}
	if tokID != tokAPReq {
		return nil, tokenErr("expected an AP-REQ, got token %x", tokID)
	}
	var req messages.APReq
	if err := unmarshalSafely(func() error { return req.Unmarshal(msg) }); err != nil {
		return nil, tokenErr("AP-REQ: %v", err)
	}
	if a.cfg.Keytab == nil {
		return nil, &CredentialsError{Reason: "acceptor has no keytab"}
	}
	settings := service.NewSettings(a.cfg.Keytab, service.MaxClockSkew(a.cfg.MaxClockSkew), service.DecodePAC(false))
	var ok bool
	err = unmarshalSafely(func() error {
		var verr error
		ok, _, verr = service.VerifyAPREQ(&req, settings)
		return verr
	})
	if err != nil || !ok {
		return nil, acceptError(err)
	}
	auth := req.Authenticator
	gssFlags := uint32(0)
	if auth.Cksum.CksumType == chksumtype.GSSAPI {
		bnd, f, err := parseGSSChecksum(auth.Cksum.Checksum)
		if err != nil {
			return nil, err
		}
		gssFlags = f
		if cb := a.cfg.ChannelBindings; cb != nil && !bytes.Equal(bnd, cb.Hash()) {
			return nil, &KerberosError{Op: "accept", Code: errorcode.KRB_AP_ERR_BADMATCH, Text: "channel bindings do not match this TLS channel"}
		}
	} else if a.cfg.ChannelBindings != nil {
		return nil, &KerberosError{Op: "accept", Code: errorcode.KRB_AP_ERR_BADMATCH, Text: "client sent no channel bindings"}
	}
	mutual := types.IsFlagSet(&req.APOptions, 2) || gssFlags&gssMutual != 0
	sessionKey := req.Ticket.DecryptedEncPart.Key
	initSeq := uint64(uint32(auth.SeqNumber))
	a.user = auth.CName.PrincipalNameString() + "@" + auth.CRealm
	if !mutual {
		return nil, a.establish(true, sessionKey, auth.SubKey, types.EncryptionKey{}, initSeq, initSeq)
	}
	// The acceptor's subkey, of the type of the key it replaces.
	base, _ := contextKey(sessionKey, auth.SubKey, types.EncryptionKey{})
	subkey, seq, err := newSubkey(base.KeyType)
	if err != nil {
		return nil, err
	}
	rep, err := buildAPRep(sessionKey, auth, subkey, seq)
	if err != nil {
		return nil, err
	}
	if err := a.establish(true, sessionKey, auth.SubKey, subkey, uint64(seq), initSeq); err != nil {
		return nil, err
	}
	return frameKRB5(tokAPRep, rep)
}

// acceptError types a refusal from gokrb5's AP-REQ verification.
func acceptError(err error) error {
	if err == nil {
		return &KerberosError{Op: "accept", Code: errorcode.KRB_AP_ERR_MODIFIED, Text: "AP-REQ not valid"}
	}
	var ke messages.KRBError
	if errors.As(err, &ke) {
		return &KerberosError{Op: "accept", Code: ke.ErrorCode, Text: ke.EText}
	}
	// gokrb5 flattens the rest (a ticket that does not decrypt with the
	// keytab, a principal the keytab lacks) into strings.
	return &KerberosError{Op: "accept", Code: errorcode.KRB_AP_ERR_BAD_INTEGRITY, Text: err.Error()}
}

// User is the client principal, "user@REALM", once accepted.
func (a *Acceptor) User() string { return a.user }
