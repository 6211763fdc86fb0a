package krb

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/chksumtype"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/cimjob/cimjob/internal/ntlm"
)

// HTTP authentication schemes.
const (
	SchemeNegotiate = "Negotiate" // SPNEGO-wrapped tokens
	SchemeKerberos  = "Kerberos"  // bare Kerberos GSS-API tokens
)

// InitiatorConfig describes the target of one security context.
type InitiatorConfig struct {
	// Host is the target host name; the SPN is HTTP/Host unless SPN is set.
	Host string
	// SPN overrides the service principal ("HTTP/host.example.com",
	// "WSMAN/host"); a "service@host" form is accepted too.
	SPN string
	// Scheme is SchemeNegotiate (the default) or SchemeKerberos.
	Scheme string
	// ChannelBindings, over HTTPS, binds the context to the TLS channel
	// (ntlm.TLSServerEndPoint of the server certificate), as Windows
	// Extended Protection checks.
	ChannelBindings *ntlm.ChannelBindings
	// Now is the clock for the authenticator; nil means time.Now. Tests use
	// it to provoke clock-skew refusals.
	Now func() time.Time
}

// Initiator is the client side of one Kerberos security context: the
// Negotiate (SPNEGO) or Kerberos scheme, always with mutual authentication,
// then sealing with the acceptor's subkey when it sends one. It implements
// gss.Context and belongs to one connection.
type Initiator struct {
	sealer
	spn        string
	tkt        messages.Ticket
	sessionKey types.EncryptionKey
	auth       types.Authenticator
	mechTypes  []asn1.ObjectIdentifier
	step       int
}

// ServicePrincipal is the SPN a context for cfg targets.
func (cfg InitiatorConfig) ServicePrincipal() string {
	spn := cfg.SPN
	if spn == "" {
		spn = "HTTP/" + cfg.Host
	}
	if svc, host, ok := strings.Cut(spn, "@"); ok && !strings.Contains(spn, "/") {
		spn = svc + "/" + host
	}
	return spn
}

// NewInitiator gets a service ticket for the target (from the KDC, or the
// client's cache of tickets) and prepares the first token.
func (c *Client) NewInitiator(ctx context.Context, cfg InitiatorConfig) (*Initiator, error) {
	spn := cfg.ServicePrincipal()
	if spn == "HTTP/" {
		return nil, &CredentialsError{Reason: "no target host or SPN"}
	}
	tkt, key, err := c.serviceTicket(ctx, spn)
	if err != nil {
		return nil, err
	}
	return newInitiator(c.cl.Credentials, tkt, key, spn, cfg)
}

func newInitiator(creds *credentials.Credentials, tkt messages.Ticket, key types.EncryptionKey, spn string, cfg InitiatorConfig) (*Initiator, error) {
	scheme := cfg.Scheme
	switch scheme {
	case "":
		scheme = SchemeNegotiate
	case SchemeNegotiate, SchemeKerberos:
	default:
		return nil, &CredentialsError{Reason: "unknown scheme " + scheme}
	}
	if !sealingEtypes[key.KeyType] {
		return nil, &UnsupportedEtypeError{Etype: key.KeyType}
	}
	auth, err := types.NewAuthenticator(creds.Domain(), creds.CName())
	if err != nil {
		return nil, err
	}
	if cfg.Now != nil {
		t := cfg.Now().UTC()
		auth.CTime = t.Truncate(time.Second)
		auth.Cusec = t.Nanosecond() / 1000
	} else {
		auth.CTime = auth.CTime.Truncate(time.Second)
	}
	subkey, seq, err := newSubkey(key.KeyType)
	if err != nil {
		return nil, err
	}
	auth.SubKey, auth.SeqNumber = subkey, seq
	var bnd []byte
	if cfg.ChannelBindings != nil {
		bnd = cfg.ChannelBindings.Hash()
	}
	auth.Cksum = types.Checksum{
		CksumType: chksumtype.GSSAPI,
		Checksum:  gssChecksum(bnd, gssMutual|gssReplay|gssSequence|gssConf|gssInteg),
	}
	return &Initiator{
		sealer: sealer{scheme: scheme}, spn: spn, tkt: tkt, sessionKey: key, auth: auth,
		// Windows lists its historical OID first; the acceptor answers
		// with the first Kerberos OID it knows.
		mechTypes: []asn1.ObjectIdentifier{oidMSKRB5, oidKRB5},
	}, nil
}

// Step returns the AP-REQ token on the first call (in is ignored) and
// verifies the acceptor's AP-REP on the second, which ends the handshake.
func (i *Initiator) Step(in []byte) ([]byte, bool, error) {
	i.step++
	switch i.step {
	case 1:
		out, err := i.firstToken()
		return out, false, err
	case 2:
		if err := i.acceptReply(in); err != nil {
			return nil, false, err
		}
		return nil, true, nil
	}
	return nil, false, tokenErr("Kerberos handshake has no further steps")
}

func (i *Initiator) firstToken() ([]byte, error) {
	req, err := messages.NewAPReq(i.tkt, i.sessionKey, i.auth)
	if err != nil {
		return nil, &ExchangeError{Op: "AP-REQ", Err: err}
	}
	types.SetFlag(&req.APOptions, flags.APOptionMutualRequired)
	b, err := req.Marshal()
	if err != nil {
		return nil, &ExchangeError{Op: "AP-REQ", Err: err}
	}
	krb5, err := frameKRB5(tokAPReq, b)
	if err != nil {
		return nil, err
	}
	if i.scheme == SchemeKerberos {
		return krb5, nil
	}
	init := spnego.SPNEGOToken{Init: true, NegTokenInit: spnego.NegTokenInit{MechTypes: i.mechTypes, MechTokenBytes: krb5}}
	return init.Marshal()
}

func (i *Initiator) acceptReply(in []byte) error {
	if len(in) == 0 {
		return tokenErr("the server sent no token to authenticate itself (mutual authentication required)")
	}
	if len(in) > maxToken {
		return tokenErr("token of %d bytes", len(in))
	}
	krb5 := in
	var mic []byte
	if i.scheme == SchemeNegotiate {
		resp, err := parseNegTokenResp(in)
		if err != nil {
			return err
		}
		if resp.NegState != asn1.Enumerated(spnego.NegStateAcceptCompleted) {
			if spnego.NegState(resp.NegState) == spnego.NegStateReject {
				return fmt.Errorf("%w: the server rejected the SPNEGO negotiation", ErrAuthenticationFailed)
			}
			return tokenErr("SPNEGO negState %s where accept-completed was expected", negStateName(resp.NegState))
		}
		if len(resp.SupportedMech) > 0 && !isKerberosOID(resp.SupportedMech) {
			return tokenErr("server chose mechanism %v, not Kerberos", resp.SupportedMech)
		}
		krb5, mic = resp.ResponseToken, resp.MechListMIC
	}
	tokID, msg, err := unframeKRB5(krb5)
	if err != nil {
		return err
	}
	switch tokID {
	case tokAPRep:
	case tokKRBError:
		var ke messages.KRBError
		if err := unmarshalSafely(func() error { return ke.Unmarshal(msg) }); err != nil {
			return tokenErr("KRB-ERROR: %v", err)
		}
		return &KerberosError{Op: "mutual authentication", Code: ke.ErrorCode, Text: ke.EText}
	default:
		return tokenErr("expected an AP-REP, got token %x", tokID)
	}
	part, err := verifyAPRep(msg, i.sessionKey, i.auth)
	if err != nil {
		return err
	}
	if mic != nil {
		key, _ := contextKey(i.sessionKey, i.auth.SubKey, part.Subkey)
		if err := verifyMechListMIC(mic, i.mechTypes, key); err != nil {
			return err
		}
	}
	return i.establish(false, i.sessionKey, i.auth.SubKey, part.Subkey, uint64(uint32(i.auth.SeqNumber)), uint64(uint32(part.SequenceNumber)))
}

func parseNegTokenResp(b []byte) (spnego.NegTokenResp, error) {
	var tok spnego.SPNEGOToken
	if err := unmarshalSafely(func() error { return tok.Unmarshal(b) }); err != nil {
		return spnego.NegTokenResp{}, tokenErr("SPNEGO: %v", err)
	}
	if !tok.Resp {
		return spnego.NegTokenResp{}, tokenErr("SPNEGO: expected a NegTokenResp")
	}
	return tok.NegTokenResp, nil
}

func negStateName(s asn1.Enumerated) string {
	switch spnego.NegState(s) {
	case spnego.NegStateAcceptCompleted:
		return "accept-completed"
	case spnego.NegStateAcceptIncomplete:
		return "accept-incomplete"
	case spnego.NegStateReject:
		return "reject"
	case spnego.NegStateRequestMIC:
		return "request-mic"
	}
	return "unknown"
}

// verifyMechListMIC checks the acceptor's RFC 4178 mechListMIC, a MIC token
// over the DER of the initiator's mechanism list.
func verifyMechListMIC(mic []byte, mechTypes []asn1.ObjectIdentifier, key types.EncryptionKey) error {
	der, err := asn1.Marshal(mechTypes)
	if err != nil {
		return err
	}
	var t gssapi.MICToken
	if err := unmarshalSafely(func() error { return t.Unmarshal(mic, true) }); err != nil {
		return tokenErr("mechListMIC: %v", err)
	}
	t.Payload = der
	if ok, err := t.Verify(key, keyusage.GSSAPI_ACCEPTOR_SIGN); !ok || err != nil {
		return &KerberosError{Op: "mutual authentication", Code: errorcode.KRB_AP_ERR_MODIFIED, Text: "SPNEGO mechListMIC does not verify"}
	}
	return nil
}

// SPN is the service principal the ticket is for.
func (i *Initiator) SPN() string { return i.spn }
