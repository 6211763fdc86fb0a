package ntlm

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"testing"
)

// signedPairs returns the TargetInfo an AUTHENTICATE_MESSAGE signs in its
// NTLMv2 response.
func signedPairs(t testing.TB, m *AuthenticateMessage) AVPairs {
	t.Helper()
	if len(m.NtChallengeResponse) < ntlmv2MinResponse {
		t.Fatalf("NtChallengeResponse of %d bytes", len(m.NtChallengeResponse))
	}
	pairs, err := ParseAVPairs(m.NtChallengeResponse[16+28:])
	if err != nil {
		t.Fatal(err)
	}
	return pairs
}

// all returns the values of every pair with the given ID.
func all(p AVPairs, id AVID) [][]byte {
	var out [][]byte
	for _, a := range p {
		if a.ID == id {
			out = append(out, a.Value)
		}
	}
	return out
}

// hostileChallenge is a genuine challenge into which a relay has put
// security parameters of its choosing: the channel bindings of its own TLS
// connection to another host, that host's name, a single-host blob and
// MsvAvFlags, each twice so that a client replacing only the first one
// would still sign the second.
func hostileChallenge(t testing.TB, nm []byte, keepTimestamp bool) []byte {
	t.Helper()
	relayCB := md5.Sum([]byte("tls-server-end-point:the relay's connection"))
	return tamperedChallenge(t, nm, keepTimestamp, func(cm *ChallengeMessage) {
		for range 2 {
			cm.TargetInfo = append(cm.TargetInfo,
				AVPair{ID: AvChannelBindings, Value: relayCB[:]},
				AVPair{ID: AvTargetName, Value: toUTF16("HTTP/victim-of-relay.corp.example")},
				AVPair{ID: AvSingleHost, Value: bytes.Repeat([]byte{0xee}, 48)},
				AVPair{ID: AvFlags, Value: binary.LittleEndian.AppendUint32(nil, AvFlagConstrained|AvFlagMICPresent|AvFlagUntrustedSPNSource)},
			)
		}
	})
}

// The client signs only security parameters of its own: channel bindings
// (all zeros without TLS), its target name, and MsvAvFlags with the MIC bit
// exactly when it sends a MIC, whatever the server put in its TargetInfo.
func TestClientSignsOnlyItsOwnSecurityParameters(t *testing.T) {
	tlsCB := &ChannelBindings{ApplicationData: []byte("tls-server-end-point:ours")}
	tests := []struct {
		name      string
		cfg       ClientConfig
		timestamp bool
		cb        []byte
		target    string
		flags     uint32
	}{
		{"plain HTTP, default target name", ClientConfig{Host: "hv01.corp.example"}, true, make([]byte, 16), "HTTP/hv01.corp.example", AvFlagConstrained | AvFlagMICPresent},
		{"HTTPS, SPN given", ClientConfig{Host: "10.0.0.5", TargetSPN: "HTTP/hv01", ChannelBindings: tlsCB}, true, tlsCB.Hash(), "HTTP/hv01", AvFlagConstrained | AvFlagMICPresent},
		{"no timestamp, allowed", ClientConfig{Host: "hv01", AllowNoTimestamp: true}, false, make([]byte, 16), "HTTP/hv01", AvFlagConstrained},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.User, tc.cfg.Domain, tc.cfg.Password = "alice", "CORP", "S3cret!pässword"
			c := NewClient(tc.cfg)
			nm, err := c.Negotiate()
			if err != nil {
				t.Fatal(err)
			}
			out, _, err := c.Authenticate(hostileChallenge(t, nm, tc.timestamp))
			if err != nil {
				t.Fatal(err)
			}
			am, err := ParseAuthenticate(out)
			if err != nil {
				t.Fatal(err)
			}
			pairs := signedPairs(t, am)
			if got := all(pairs, AvChannelBindings); len(got) != 1 || !bytes.Equal(got[0], tc.cb) {
				t.Errorf("MsvAvChannelBindings = %x, want only %x", got, tc.cb)
			}
			if got := all(pairs, AvTargetName); len(got) != 1 || pairs.String(AvTargetName) != tc.target {
				t.Errorf("MsvAvTargetName: %d pairs, first %q, want only %q", len(got), pairs.String(AvTargetName), tc.target)
			}
			if got := all(pairs, AvSingleHost); len(got) != 0 {
				t.Errorf("the server's MsvAvSingleHost was signed: %x", got)
			}
			if got := all(pairs, AvFlags); len(got) != 1 || pairs.Flags() != tc.flags {
				t.Errorf("MsvAvFlags: %d pairs, first %#x, want only %#x", len(got), pairs.Flags(), tc.flags)
			}
			if (am.MIC != nil) != tc.timestamp {
				t.Errorf("MIC sent: %v, want %v", am.MIC != nil, tc.timestamp)
			}
			// The names of the server stay, as Windows echoes them.
			if pairs.String(AvDNSComputerName) != "hv01.corp.example" {
				t.Errorf("MsvAvDnsComputerName %q dropped", pairs.String(AvDNSComputerName))
			}
		})
	}
}

func TestClientTargetName(t *testing.T) {
	for _, tc := range []struct {
		cfg  ClientConfig
		want string
	}{
		{ClientConfig{Host: "hv01.corp.example"}, "HTTP/hv01.corp.example"},
		{ClientConfig{Host: "10.0.0.5", TargetSPN: "HTTP/hv01.corp.example"}, "HTTP/hv01.corp.example"},
		{ClientConfig{TargetSPN: "WSMAN/hv01"}, "WSMAN/hv01"},
		{ClientConfig{}, ""},
	} {
		if got := tc.cfg.TargetName(); got != tc.want {
			t.Errorf("%+v: TargetName() = %q, want %q", tc.cfg, got, tc.want)
		}
	}
	// Without any name the client sends no MsvAvTargetName, rather than
	// the server's.
	c := NewClient(ClientConfig{User: "alice", Password: "S3cret!pässword"})
	nm, err := c.Negotiate()
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := c.Authenticate(hostileChallenge(t, nm, true))
	if err != nil {
		t.Fatal(err)
	}
	am, err := ParseAuthenticate(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := all(signedPairs(t, am), AvTargetName); len(got) != 0 {
		t.Errorf("MsvAvTargetName %q signed without a name of the client's", got)
	}
}

// An acceptor whose challenge carried a timestamp requires the MIC, as
// Windows does; a relay that strips the timestamp on the way to the client
// gets an AUTHENTICATE_MESSAGE without one.
func TestAcceptorRequiresMIC(t *testing.T) {
	for _, tc := range []struct {
		name string
		mic  bool
		want AuthFailure
	}{
		{"with MIC", true, 0},
		{"without MIC", false, ReasonMICMissing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := acceptLegacy(t, testAcceptorConfig(), clientFlags, tc.mic)
			if tc.want == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ae *AuthError
			if !errors.As(err, &ae) || ae.Reason != tc.want {
				t.Fatalf("err = %v, want an *AuthError for %s", err, tc.want)
			}
		})
	}
}

// An acceptor modelling a pre-2008 server (NoTimestamp) serves a client
// that allows it, without a MIC; a client that does not refuses it.
func TestAcceptorWithoutTimestamp(t *testing.T) {
	cfg := testAcceptorConfig()
	cfg.NoTimestamp = true
	if _, _, _, err := handshake(t, ClientConfig{User: "alice", Password: "S3cret!pässword", AllowNoTimestamp: true}, cfg); err != nil {
		t.Fatal(err)
	}
	c := NewClient(ClientConfig{User: "alice", Password: "S3cret!pässword"})
	nm, err := c.Negotiate()
	if err != nil {
		t.Fatal(err)
	}
	cm, err := NewAcceptor(cfg).Challenge(nm)
	if err != nil {
		t.Fatal(err)
	}
	var nte *NoTimestampError
	if _, _, err := c.Authenticate(cm); !errors.As(err, &nte) {
		t.Fatalf("err = %v, want a *NoTimestampError", err)
	}
}
