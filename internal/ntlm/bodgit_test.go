package ntlm_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/bodgit/ntlmssp"

	"github.com/cimjob/cimjob/internal/ntlm"
)

// An NTLM client written independently of this package (bodgit/ntlmssp, the
// one masterzen/winrm seals with) must authenticate against the Acceptor,
// and sealing must agree both ways over many messages, so that the RC4
// streams and sequence numbers stay in step.

func bodgitHandshake(t *testing.T, password string, cb *ntlm.ChannelBindings) (*ntlmssp.Client, *ntlm.Session, ntlm.Identity, error) {
	t.Helper()
	c, err := ntlmssp.NewClient(ntlmssp.SetUserInfo("alice", password), ntlmssp.SetDomain("CORP"), ntlmssp.SetWorkstation("LINUX"))
	if err != nil {
		t.Fatal(err)
	}
	var bcb *ntlmssp.ChannelBindings
	if cb != nil {
		bcb = &ntlmssp.ChannelBindings{ApplicationData: cb.ApplicationData}
	}
	a := ntlm.NewAcceptor(ntlm.AcceptorConfig{NetBIOSDomain: "CORP", NetBIOSComputer: "HV01", DNSDomain: "corp.example", DNSComputer: "hv01.corp.example", ChannelBindings: cb})
	nm, err := c.Authenticate(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cm, err := a.Challenge(nm)
	if err != nil {
		t.Fatal(err)
	}
	am, err := c.Authenticate(cm, bcb)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := ntlm.ParseAuthenticate(am); err != nil || m.MIC == nil {
		t.Fatalf("bodgit's AUTHENTICATE_MESSAGE: MIC missing or parse error %v", err)
	}
	s, id, err := a.Accept(am, func(domain, user string) (string, bool) {
		return "Pa55w.rd", domain == "CORP" && user == "alice"
	})
	return c, s, id, err
}

func TestBodgitClientAgainstAcceptor(t *testing.T) {
	c, s, id, err := bodgitHandshake(t, "Pa55w.rd", nil)
	if err != nil {
		t.Fatal(err)
	}
	if id.User != "alice" || id.Domain != "CORP" || id.Workstation != "LINUX" {
		t.Errorf("identity %+v", id)
	}
	cs := c.SecuritySession()
	for i := range 20 {
		msg := []byte(fmt.Sprintf("<s:Envelope>request %d</s:Envelope>", i))
		sealed, sig, err := cs.Wrap(msg)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Unseal(sig, sealed)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("request %d: %q", i, got)
		}
		reply := []byte(fmt.Sprintf("<s:Envelope>reply %d</s:Envelope>", i))
		sig, sealed, err = s.Seal(reply)
		if err != nil {
			t.Fatal(err)
		}
		back, err := cs.Unwrap(sealed, sig)
		if err != nil {
			t.Fatalf("reply %d: bodgit refuses our seal: %v", i, err)
		}
		if !bytes.Equal(back, reply) {
			t.Fatalf("reply %d: %q", i, back)
		}
	}
}

func TestBodgitClientWrongPassword(t *testing.T) {
	_, _, _, err := bodgitHandshake(t, "wrong", nil)
	var ae *ntlm.AuthError
	if !errors.As(err, &ae) || ae.Reason != ntlm.ReasonWrongPassword {
		t.Fatalf("got %v", err)
	}
}

// bodgit hashes channel bindings on its own; agreeing with it checks
// ChannelBindings.Hash.
func TestBodgitClientChannelBindings(t *testing.T) {
	cb := &ntlm.ChannelBindings{ApplicationData: []byte("tls-server-end-point:0123456789abcdef0123456789abcdef")}
	if _, _, _, err := bodgitHandshake(t, "Pa55w.rd", cb); err != nil {
		t.Fatal(err)
	}
}
