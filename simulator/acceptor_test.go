package simulator

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"testing"

	"github.com/cimjob/cimjob/internal/msgenc"
	"github.com/cimjob/cimjob/internal/ntlm"
)

// fakeKerberos stands in for a Kerberos acceptor: one leg, a mutual
// authentication token back, XOR "sealing".
type fakeKerberos struct{ done bool }

func (f *fakeKerberos) Step(in []byte) ([]byte, bool, error) {
	if !bytes.Equal(in, []byte("AP-REQ")) {
		return nil, false, errors.New("bad AP-REQ")
	}
	f.done = true
	return []byte("AP-REP"), true, nil
}

func (f *fakeKerberos) Seal(plain []byte) ([]byte, []byte, error) {
	return []byte("HDR!"), xor(plain), nil
}
func (f *fakeKerberos) Unseal(sig, sealed []byte) ([]byte, error) {
	if string(sig) != "HDR!" {
		return nil, errors.New("bad token header")
	}
	return xor(sealed), nil
}
func (f *fakeKerberos) Protocol() string { return msgenc.ProtocolKerberos }
func (f *fakeKerberos) Scheme() string   { return "Kerberos" }
func (f *fakeKerberos) User() string     { return "demo@CORP.EXAMPLE" }

func xor(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = c ^ 0x5a
	}
	return out
}

type xorSealer struct{}

func (xorSealer) Seal(plain []byte) ([]byte, []byte, error) { return []byte("HDR!"), xor(plain), nil }
func (xorSealer) Unseal(sig, sealed []byte) ([]byte, error) { return xor(sealed), nil }

// A mechanism plugged in through Options.NewAcceptor runs its handshake in
// the Kerberos scheme, sends its final token back with the 200, and seals
// in its own protocol; tokens it declines still reach NTLM.
func TestPluggedAcceptor(t *testing.T) {
	var infos []ConnInfo
	s, url := startSimWith(t, Options{Scenario: "default.json", Logf: t.Logf, NewAcceptor: func(scheme string, token []byte, info ConnInfo) (Acceptor, error) {
		infos = append(infos, info)
		if scheme == "Kerberos" {
			return &fakeKerberos{}, nil
		}
		return nil, nil
	}})
	request := loadRequest(t, "invoke.xml", defaultVars())
	c := newSealedClient(t, url, ntlm.ClientConfig{}, nil)
	body, err := msgenc.Encode(xorSealer{}, msgenc.ProtocolKerberos, request)
	if err != nil {
		t.Fatal(err)
	}
	r := c.do(http.Header{
		"Authorization": {"Kerberos " + base64.StdEncoding.EncodeToString([]byte("AP-REQ"))},
		"Content-Type":  {msgenc.ContentType(msgenc.ProtocolKerberos)},
	}, body)
	if r.status != http.StatusOK || r.header.Get("WWW-Authenticate") != "Kerberos "+base64.StdEncoding.EncodeToString([]byte("AP-REP")) {
		t.Fatalf("status %d, WWW-Authenticate %q", r.status, r.header.Get("WWW-Authenticate"))
	}
	plain, err := msgenc.Decode(xorSealer{}, r.header.Get("Content-Type"), r.body, 1<<20)
	if err != nil || parseReply(t, plain).body.Tag != "GetError_OUTPUT" {
		t.Fatalf("reply: %v\n%s", err, plain)
	}
	if len(infos) != 1 || infos[0].ID != 1 || infos[0].TLS != nil || infos[0].ServerCert != nil {
		t.Errorf("conn info %+v", infos)
	}
	// NTLM still works on another connection: the factory declined it.
	n := newSealedClient(t, url, ntlm.ClientConfig{User: "demo", Password: "demo-password"}, nil)
	if r, err := n.handshake(request); err != nil || r.status != http.StatusOK {
		t.Fatalf("NTLM after the factory declined: %v, %d", err, r.status)
	}
	st := s.Stats()
	if st.Handshakes != 2 || st.Sealed != 2 || st.Conns[0].User != "demo@CORP.EXAMPLE" || st.Conns[1].User != "demo" {
		t.Errorf("stats %+v", st)
	}
}
