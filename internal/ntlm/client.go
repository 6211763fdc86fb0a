package ntlm

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"time"
)

// ClientConfig holds what a Client needs. The zero values of Rand, Now and
// Version select crypto/rand, time.Now and DefaultVersion.
type ClientConfig struct {
	User, Domain, Password string
	// Workstation is the client's NetBIOS name; may be empty.
	Workstation string
	// Host is the name or address of the target; the target name sent in
	// MsvAvTargetName is "HTTP/<Host>" unless TargetSPN is set.
	Host string
	// TargetSPN, when set, is the target name sent in MsvAvTargetName
	// instead of "HTTP/<Host>" (e.g. "HTTP/hv01.corp.example").
	TargetSPN string
	// ChannelBindings, when set, are hashed into MsvAvChannelBindings (EPA
	// over HTTPS, see TLSServerEndPoint); when nil, MsvAvChannelBindings is
	// all zeros, as Windows sends it outside TLS.
	ChannelBindings *ChannelBindings
	// AllowNoTimestamp accepts a CHALLENGE_MESSAGE without MsvAvTimestamp,
	// as only servers older than Windows Server 2008 send. Without a
	// timestamp the client sends no MIC, so nothing protects the flags and
	// TargetInfo of the exchange: an attacker on the path can strip the
	// timestamp and relay the login. By default such a challenge is refused
	// with a *NoTimestampError.
	AllowNoTimestamp bool
	Version          *Version
	Rand             io.Reader
	Now              func() time.Time

	// specExample, for the MS-NLMP 4.2.4 test vectors only, signs the
	// server's TargetInfo as it came, adding no pair of the client's own,
	// as the specification's example does.
	specExample bool
}

// TargetName is the name the client sends in MsvAvTargetName: TargetSPN,
// else "HTTP/<Host>", else "" when neither is known.
func (cfg ClientConfig) TargetName() string {
	switch {
	case cfg.TargetSPN != "":
		return cfg.TargetSPN
	case cfg.Host != "":
		return "HTTP/" + cfg.Host
	}
	return ""
}

// Client is the initiator side of one NTLM handshake (one connection).
type Client struct {
	cfg       ClientConfig
	negotiate []byte
}

// clientFlags is what a Client asks for: NTLMv2 with extended session
// security, 128-bit keys, key exchange, signing and sealing.
const clientFlags = FlagUnicode | FlagRequestTarget | FlagSign | FlagSeal | FlagNTLM |
	FlagAlwaysSign | FlagExtendedSessionSecurity | FlagTargetInfo | FlagVersion |
	Flag128 | FlagKeyExchange | Flag56

// NewClient returns a Client for one handshake.
func NewClient(cfg ClientConfig) *Client {
	fillDefaults(&cfg.Rand, &cfg.Now, &cfg.Version)
	return &Client{cfg: cfg}
}

// SplitUserName splits "DOMAIN\user" into its parts. A user principal name
// ("user@domain.example") is returned whole as the user with an empty domain,
// which is how Windows clients send it and how NTOWFv2 must hash it.
func SplitUserName(name string) (domain, user string) {
	if d, u, ok := strings.Cut(name, `\`); ok {
		return d, u
	}
	return "", name
}

// fillDefaults sets the zero values shared by ClientConfig and
// AcceptorConfig: crypto/rand, time.Now and DefaultVersion.
func fillDefaults(r *io.Reader, now *func() time.Time, v **Version) {
	if *r == nil {
		*r = rand.Reader
	}
	if *now == nil {
		*now = time.Now
	}
	if *v == nil {
		dv := DefaultVersion
		*v = &dv
	}
}

// Negotiate returns the NEGOTIATE_MESSAGE that opens the handshake.
func (c *Client) Negotiate() ([]byte, error) {
	m := &NegotiateMessage{Flags: clientFlags, Version: c.cfg.Version}
	b, err := m.Marshal()
	if err != nil {
		return nil, err
	}
	c.negotiate = b
	return b, nil
}

// Authenticate answers the server's CHALLENGE_MESSAGE with an
// AUTHENTICATE_MESSAGE and returns the Session for the connection. A
// challenge that does not grant 128-bit keys, signing, sealing, key
// exchange and extended session security is refused with a
// *DowngradeError.
func (c *Client) Authenticate(challenge []byte) ([]byte, *Session, error) {
	if c.negotiate == nil {
		return nil, nil, &ProtocolError{Reason: "Authenticate called before Negotiate"}
	}
	cm, err := ParseChallenge(challenge)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case !cm.Flags.Has(FlagUnicode):
		return nil, nil, &ProtocolError{Reason: "server did not negotiate UNICODE"}
	case cm.TargetInfo == nil:
		return nil, nil, &ProtocolError{Reason: "server sent no TargetInfo, which NTLMv2 needs"}
	}
	// Never settle for less than what was asked: the session keys follow
	// these flags, and they are not integrity-protected without a MIC.
	if err := checkSessionFlags("CHALLENGE_MESSAGE", cm.Flags, requiredSessionFlags); err != nil {
		return nil, nil, err
	}
	// REQUEST_TARGET is a client request only; echoing it is what Windows does.
	flags := cm.Flags&clientFlags | FlagRequestTarget

	var clientChallenge [8]byte
	if _, err := io.ReadFull(c.cfg.Rand, clientChallenge[:]); err != nil {
		return nil, nil, fmt.Errorf("ntlm: client challenge: %w", err)
	}
	timestamp, serverTime := cm.TargetInfo.Timestamp()
	if !serverTime {
		if !c.cfg.AllowNoTimestamp {
			return nil, nil, &NoTimestampError{}
		}
		timestamp = Filetime(c.cfg.Now())
	}
	pairs := cm.TargetInfo
	if !c.cfg.specExample {
		pairs = c.clientPairs(cm.TargetInfo, serverTime)
	}
	key := ntowfV2(c.cfg.Password, c.cfg.User, c.cfg.Domain)
	nt, sessionBaseKey := ntlmv2Response(key, cm.ServerChallenge[:], ntlmv2Temp(timestamp, clientChallenge[:], pairs))
	lm := make([]byte, 24) // MS-NLMP 3.1.5.1.2: Z(24) when the server sent a timestamp
	if !serverTime {
		lm = lmv2Response(key, cm.ServerChallenge[:], clientChallenge[:])
	}
	keyExchangeKey := sessionBaseKey // KXKEY for NTLMv2
	exported := keyExchangeKey
	var encryptedKey []byte
	if flags.Has(FlagKeyExchange) {
		exported = make([]byte, 16)
		if _, err := io.ReadFull(c.cfg.Rand, exported); err != nil {
			return nil, nil, fmt.Errorf("ntlm: session key: %w", err)
		}
		encryptedKey = rc4k(keyExchangeKey, exported)
	}

	am := &AuthenticateMessage{
		Flags:                     flags,
		LmChallengeResponse:       lm,
		NtChallengeResponse:       nt,
		Domain:                    c.cfg.Domain,
		User:                      c.cfg.User,
		Workstation:               c.cfg.Workstation,
		EncryptedRandomSessionKey: encryptedKey,
	}
	if flags.Has(FlagVersion) {
		am.Version = c.cfg.Version
	}
	if serverTime {
		am.MIC = make([]byte, micSize)
	}
	out, err := am.Marshal()
	if err != nil {
		return nil, nil, err
	}
	if serverTime {
		copy(out[micOffset:], computeMIC(exported, c.negotiate, challenge, out))
	}
	return out, newSession(flags, exported, true), nil
}

// zeroBindings is MsvAvChannelBindings without channel bindings: Windows
// sends 16 zero bytes rather than leaving the pair out.
var zeroBindings = make([]byte, 16)

// clientPairs is the TargetInfo the client signs in its NTLMv2 response:
// the server's pairs that only name it (computer and domain names, the
// timestamp), then the client's own security parameters in the order
// Windows sends them: MsvAvFlags, MsvAvChannelBindings, MsvAvTargetName.
// Whatever the server sent for those, or for MsvAvSingleHost, is dropped:
// signing a value the server chose would let a relay choose it (the channel
// bindings of its own TLS connection to another host, another target
// name). Of the server's MsvAvFlags only "constrained" (0x1), which is the
// server's to say, is kept.
func (c *Client) clientPairs(server AVPairs, mic bool) AVPairs {
	out := make(AVPairs, 0, len(server)+3)
	for _, p := range server {
		switch p.ID {
		case AvFlags, AvChannelBindings, AvTargetName, AvSingleHost:
			continue
		}
		out = append(out, p)
	}
	flags := server.Flags() & AvFlagConstrained
	if mic {
		flags |= AvFlagMICPresent
	}
	if flags != 0 {
		out = append(out, AVPair{ID: AvFlags, Value: binary.LittleEndian.AppendUint32(nil, flags)})
	}
	cb := zeroBindings
	if c.cfg.ChannelBindings != nil {
		cb = c.cfg.ChannelBindings.Hash()
	}
	out = append(out, AVPair{ID: AvChannelBindings, Value: cb})
	if name := c.cfg.TargetName(); name != "" {
		out = append(out, AVPair{ID: AvTargetName, Value: toUTF16(name)})
	}
	return out
}
