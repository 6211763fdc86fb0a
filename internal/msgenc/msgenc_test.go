package msgenc_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cimjob/cimjob/internal/msgenc"
	"github.com/cimjob/cimjob/internal/ntlm"
)

// xorSealer is a stand-in security context: sealed = plain XOR 0x5a, the
// signature is the first 16 bytes of SHA-256(plain), checked on Unseal.
type xorSealer struct{}

func (xorSealer) Seal(plain []byte) ([]byte, []byte, error) {
	sum := sha256.Sum256(plain)
	return sum[:16], xor(plain), nil
}

func (xorSealer) Unseal(sig, sealed []byte) ([]byte, error) {
	plain := xor(sealed)
	if sum := sha256.Sum256(plain); !bytes.Equal(sum[:16], sig) {
		return nil, errors.New("bad signature")
	}
	return plain, nil
}

func xor(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = c ^ 0x5a
	}
	return out
}

const envelope = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>`

func TestEncodeExactBytes(t *testing.T) {
	body, err := msgenc.Encode(xorSealer{}, msgenc.ProtocolSPNEGO, []byte(envelope))
	if err != nil {
		t.Fatal(err)
	}
	sig, sealed, _ := xorSealer{}.Seal([]byte(envelope))
	want := "--Encrypted Boundary\r\n" +
		"\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n" +
		"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=84\r\n" +
		"--Encrypted Boundary\r\n" +
		"\tContent-Type: application/octet-stream\r\n" +
		"\x10\x00\x00\x00" + string(sig) + string(sealed) +
		"--Encrypted Boundary--\r\n"
	if string(body) != want {
		t.Errorf("body:\n%q\nwant\n%q", body, want)
	}
	if ct := msgenc.ContentType(msgenc.ProtocolSPNEGO); ct != `multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"` {
		t.Errorf("content type %s", ct)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, plain := range []string{"", envelope, "data with --Encrypted Boundary--\r\n inside", strings.Repeat("x", 100000)} {
		body, err := msgenc.Encode(xorSealer{}, msgenc.ProtocolKerberos, []byte(plain))
		if err != nil {
			t.Fatal(err)
		}
		got, err := msgenc.Decode(xorSealer{}, msgenc.ContentType(msgenc.ProtocolKerberos), body, 1<<20)
		if err != nil {
			t.Fatalf("%.30q: %v", plain, err)
		}
		if string(got) != plain {
			t.Fatalf("got %.40q", got)
		}
	}
}

func TestRoundTripNTLM(t *testing.T) {
	c := ntlm.NewClient(ntlm.ClientConfig{User: "alice", Password: "pw"})
	a := ntlm.NewAcceptor(ntlm.AcceptorConfig{NetBIOSDomain: "CORP"})
	nm, _ := c.Negotiate()
	cm, _ := a.Challenge(nm)
	am, cs, _ := c.Authenticate(cm)
	ss, _, err := a.Accept(am, func(string, string) (string, bool) { return "pw", true })
	if err != nil {
		t.Fatal(err)
	}
	ct := msgenc.ContentType(msgenc.ProtocolSPNEGO)
	for range 3 {
		body, err := msgenc.Encode(cs, msgenc.ProtocolSPNEGO, []byte(envelope))
		if err != nil {
			t.Fatal(err)
		}
		got, err := msgenc.Decode(ss, ct, body, 1<<20)
		if err != nil || string(got) != envelope {
			t.Fatalf("got %q, %v", got, err)
		}
	}
}

// part builds one two-section part by hand.
func part(protocol, length string, sig, sealed []byte) string {
	return "--Encrypted Boundary\r\n\tContent-Type: " + protocol + "\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=" + length + "\r\n" +
		"--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n" + string([]byte{byte(len(sig)), 0, 0, 0}) + string(sig) + string(sealed)
}

func TestMultiEncrypted(t *testing.T) {
	a, b := []byte(strings.Repeat("A", 40)), []byte("tail --Encrypted Boundary\r\n in data")
	sa, xa, _ := xorSealer{}.Seal(a)
	sb, xb, _ := xorSealer{}.Seal(b)
	body := part(msgenc.ProtocolCredSSP, "40", sa, xa) + part(msgenc.ProtocolCredSSP, "35", sb, xb) + "--Encrypted Boundary--\r\n"
	ct := `multipart/x-multi-encrypted;protocol="application/HTTP-CredSSP-session-encrypted";boundary="Encrypted Boundary"`
	m, err := msgenc.ParseContentType(ct)
	if err != nil || !m.Multi || m.Protocol != msgenc.ProtocolCredSSP {
		t.Fatalf("%+v %v", m, err)
	}
	got, err := msgenc.Decode(xorSealer{}, ct, []byte(body), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if want := string(a) + string(b); string(got) != want {
		t.Errorf("got %q", got)
	}
	// The same two parts under multipart/encrypted are one part whose data
	// runs to the end, and its signature fails.
	if _, err := msgenc.Decode(xorSealer{}, msgenc.ContentType(msgenc.ProtocolCredSSP), []byte(body), 1<<20); err == nil {
		t.Error("two parts accepted as multipart/encrypted")
	}
}

func TestDecodeErrors(t *testing.T) {
	sig, sealed, _ := xorSealer{}.Seal([]byte("hello"))
	good := part(msgenc.ProtocolSPNEGO, "5", sig, sealed) + "--Encrypted Boundary--\r\n"
	ct := msgenc.ContentType(msgenc.ProtocolSPNEGO)
	var fe *msgenc.FormatError
	var le *msgenc.LengthError
	isFormat := func(err error) bool { return errors.As(err, &fe) }
	tests := []struct {
		name  string
		ct    string
		body  string
		limit int
		check func(error) bool
	}{
		{"plain SOAP", "application/soap+xml;charset=UTF-8", envelope, 1 << 20, func(err error) bool { return errors.Is(err, msgenc.ErrNotEncrypted) }},
		{"no protocol", `multipart/encrypted;boundary="Encrypted Boundary"`, good, 1 << 20, isFormat},
		{"bad media type", `multipart/encrypted;protocol=`, good, 1 << 20, isFormat},
		{"other protocol in part", msgenc.ContentType(msgenc.ProtocolKerberos), good, 1 << 20, isFormat},
		{"empty body", ct, "", 1 << 20, isFormat},
		{"no closing boundary", ct, strings.TrimSuffix(good, "--Encrypted Boundary--\r\n"), 1 << 20, isFormat},
		{"truncated in signature", ct, good[:len(good)-40], 1 << 20, isFormat},
		{"length mismatch", ct, strings.Replace(good, "Length=5", "Length=4", 1), 1 << 20, func(err error) bool { return errors.As(err, &le) && le.Declared == 4 && le.Actual == 5 }},
		{"length not a number", ct, strings.Replace(good, "Length=5", "Length=five", 1), 1 << 20, isFormat},
		{"negative length", ct, strings.Replace(good, "Length=5", "Length=-5", 1), 1 << 20, isFormat},
		{"no length", ct, strings.Replace(good, ";Length=5", "", 1), 1 << 20, isFormat},
		{"over the limit", ct, good, 4, isFormat},
		{"signature length huge", ct, strings.Replace(good, "\x10\x00\x00\x00", "\xff\xff\xff\x7f", 1), 1 << 20, isFormat},
		{"data section type", ct, strings.Replace(good, "octet-stream", "soap+xml", 1), 1 << 20, isFormat},
		{"bad signature", ct, strings.Replace(good, string(sig[:4]), "XXXX", 1), 1 << 20, func(err error) bool { return err != nil && err.Error() == "bad signature" }},
		{"second part in multipart/encrypted", ct, part(msgenc.ProtocolSPNEGO, "5", sig, sealed) + strings.TrimPrefix(good, ""), 1 << 20, func(err error) bool { return err != nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := msgenc.Decode(xorSealer{}, tc.ct, []byte(tc.body), tc.limit)
			if !tc.check(err) {
				t.Fatalf("unexpected error %v", err)
			}
		})
	}
	if _, err := msgenc.Decode(xorSealer{}, ct, []byte(good), 1<<20); err != nil {
		t.Fatalf("the good body itself fails: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, p := range []string{"", envelope, "x"} {
		body, _ := msgenc.Encode(xorSealer{}, msgenc.ProtocolSPNEGO, []byte(p))
		f.Add(body, false)
	}
	a, _ := msgenc.Encode(xorSealer{}, msgenc.ProtocolCredSSP, []byte("abc"))
	f.Add(append(bytes.TrimSuffix(a, []byte("--Encrypted Boundary--\r\n")), a...), true)
	f.Fuzz(func(t *testing.T, body []byte, multi bool) {
		ct := msgenc.ContentType(msgenc.ProtocolSPNEGO)
		if multi {
			ct = `multipart/x-multi-encrypted;protocol="application/HTTP-CredSSP-session-encrypted";boundary="Encrypted Boundary"`
		}
		got, err := msgenc.Decode(xorSealer{}, ct, body, 1<<16)
		if err == nil && len(got) > 1<<16 {
			t.Fatalf("returned %d bytes over the limit", len(got))
		}
	})
}

func ExampleDecode() {
	body, _ := msgenc.Encode(xorSealer{}, msgenc.ProtocolSPNEGO, []byte("<s:Envelope/>"))
	plain, err := msgenc.Decode(xorSealer{}, msgenc.ContentType(msgenc.ProtocolSPNEGO), body, 1<<20)
	fmt.Println(string(plain), err)
	// Output: <s:Envelope/> <nil>
}
