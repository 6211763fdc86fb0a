package gss

import (
	"bytes"
	"errors"
	"testing"

	"github.com/cimjob/cimjob/internal/msgenc"
	"github.com/cimjob/cimjob/internal/ntlm"
)

func lookup(domain, user string) (string, bool) {
	if user == "alice" {
		return "s3cret!", true
	}
	return "", false
}

// handshake runs a client and a server Context against each other.
func handshake(c Context, s Acceptor) error {
	var in []byte
	for i := 0; i < 4; i++ {
		out, cdone, err := c.Step(in)
		if err != nil {
			return err
		}
		back, sdone, err := s.Step(out)
		if err != nil {
			return err
		}
		if cdone && sdone {
			return nil
		}
		in = back
	}
	return errors.New("handshake did not finish")
}

func TestNTLMThroughTheSeam(t *testing.T) {
	c := NewNTLMInitiator(ntlm.ClientConfig{User: "alice", Domain: "CORP", Password: "s3cret!"})
	s := NewNTLMAcceptor(ntlm.AcceptorConfig{NetBIOSDomain: "CORP", NetBIOSComputer: "HV01"}, lookup)
	// Both sides refuse to seal or open before the handshake ends.
	for _, side := range []Context{c, s} {
		if _, _, err := side.Seal([]byte("early")); err == nil {
			t.Errorf("%T: Seal before the handshake succeeded", side)
		}
		if _, err := side.Unseal(make([]byte, 16), []byte("early")); err == nil {
			t.Errorf("%T: Unseal before the handshake succeeded", side)
		}
	}
	if err := handshake(c, s); err != nil {
		t.Fatal(err)
	}
	if s.User() != `CORP\alice` {
		t.Errorf("user %q", s.User())
	}
	// Several messages each way, framed as MS-WSMV sends them.
	for i := 0; i < 3; i++ {
		msg := []byte("<s:Envelope>request " + string(rune('0'+i)) + "</s:Envelope>")
		body, err := msgenc.Encode(c, c.Protocol(), msg)
		if err != nil {
			t.Fatal(err)
		}
		got, err := msgenc.Decode(s, msgenc.ContentType(s.Protocol()), body, 1<<20)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("server read %q, %v", got, err)
		}
		reply := []byte("<s:Envelope>reply</s:Envelope>")
		body, err = msgenc.Encode(s, s.Protocol(), reply)
		if err != nil {
			t.Fatal(err)
		}
		got, err = msgenc.Decode(c, msgenc.ContentType(c.Protocol()), body, 1<<20)
		if err != nil || !bytes.Equal(got, reply) {
			t.Fatalf("client read %q, %v", got, err)
		}
	}
}

func TestNTLMWrongPassword(t *testing.T) {
	c := NewNTLMInitiator(ntlm.ClientConfig{User: "alice", Domain: "CORP", Password: "wrong"})
	s := NewNTLMAcceptor(ntlm.AcceptorConfig{NetBIOSDomain: "CORP", NetBIOSComputer: "HV01"}, lookup)
	err := handshake(c, s)
	if !errors.Is(err, ntlm.ErrAuthenticationFailed) {
		t.Fatalf("err = %v, want ntlm.ErrAuthenticationFailed", err)
	}
}
