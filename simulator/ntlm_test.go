package simulator

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cimjob/cimjob/internal/gss"
	"github.com/cimjob/cimjob/internal/msgenc"
	"github.com/cimjob/cimjob/internal/ntlm"
)

// sealedClient speaks to the simulator as a WinRM client does on HTTP:
// one keep-alive connection, one NTLM handshake, every message sealed.
type sealedClient struct {
	t    *testing.T
	url  string
	hc   *http.Client
	tr   *http.Transport
	init *gss.NTLMInitiator
}

func newSealedClient(t *testing.T, url string, cfg ntlm.ClientConfig, tlsCfg *tls.Config) *sealedClient {
	t.Helper()
	// One connection at most, so that the context is never split.
	tr := &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1, TLSClientConfig: tlsCfg}
	t.Cleanup(tr.CloseIdleConnections)
	return &sealedClient{t: t, url: url, hc: &http.Client{Transport: tr}, tr: tr, init: gss.NewNTLMInitiator(cfg)}
}

type rawReply struct {
	status int
	header http.Header
	body   []byte
}

func (c *sealedClient) do(header http.Header, body []byte) rawReply {
	c.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		c.t.Fatal(err)
	}
	return rawReply{resp.StatusCode, resp.Header, data}
}

// seal frames plain for the wire.
func (c *sealedClient) seal(plain []byte) (http.Header, []byte) {
	c.t.Helper()
	body, err := msgenc.Encode(c.init, c.init.Protocol(), plain)
	if err != nil {
		c.t.Fatal(err)
	}
	return http.Header{"Content-Type": {msgenc.ContentType(c.init.Protocol())}}, body
}

// handshake authenticates the connection, sending first (sealed) with the
// AUTHENTICATE_MESSAGE, or an empty body when first is nil. It returns the
// final answer and the error the handshake stopped on, if any.
func (c *sealedClient) handshake(first []byte) (rawReply, error) {
	c.t.Helper()
	tok, _, err := c.init.Step(nil)
	if err != nil {
		c.t.Fatal(err)
	}
	r := c.do(http.Header{"Authorization": {"Negotiate " + base64.StdEncoding.EncodeToString(tok)}}, nil)
	scheme, b64, _ := strings.Cut(r.header.Get("WWW-Authenticate"), " ")
	if r.status != http.StatusUnauthorized || scheme != "Negotiate" || b64 == "" || len(r.body) != 0 {
		return r, errors.New("no challenge")
	}
	challenge, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		c.t.Fatal(err)
	}
	tok, _, err = c.init.Step(challenge)
	if err != nil {
		return r, err
	}
	h, body := http.Header{}, []byte(nil)
	if first != nil {
		h, body = c.seal(first)
	}
	h.Set("Authorization", "Negotiate "+base64.StdEncoding.EncodeToString(tok))
	return c.do(h, body), nil
}

// open unseals a reply.
func (c *sealedClient) open(r rawReply) []byte {
	c.t.Helper()
	plain, err := msgenc.Decode(c.init, r.header.Get("Content-Type"), r.body, 8<<20)
	if err != nil {
		c.t.Fatalf("status %d, reply does not unseal: %v\n%q", r.status, err, r.body[:min(len(r.body), 200)])
	}
	return plain
}

// call sends one sealed message on the authenticated connection.
func (c *sealedClient) call(plain []byte) rawReply {
	h, body := c.seal(plain)
	return c.do(h, body)
}

func soapHeader() http.Header {
	return http.Header{"Content-Type": {"application/soap+xml;charset=UTF-8"}}
}

// The acceptance criterion of issue 3 on the server side: 100 sealed calls
// on one connection make one handshake and carry 100 sealed messages, and
// every reply unseals to the job's GetError answer.
func TestSealedExchangeOneHandshakePerConnection(t *testing.T) {
	s, url := startSim(t, "windows-default.json")
	c := newSealedClient(t, url, ntlm.ClientConfig{User: "demo", Domain: "HV03", Password: "demo-password"}, nil)
	request := loadRequest(t, "invoke.xml", defaultVars())
	r, err := c.handshake(request)
	if err != nil || r.status != http.StatusOK {
		t.Fatalf("handshake: %v, status %d", err, r.status)
	}
	const calls = 100
	checkGetError := func(r rawReply) {
		t.Helper()
		rep := parseReply(t, c.open(r))
		if r.status != http.StatusOK || rep.body == nil || rep.body.Tag != "GetError_OUTPUT" || rep.relatesTo != testMID {
			t.Fatalf("status %d, reply %+v", r.status, rep)
		}
	}
	checkGetError(r)
	for i := 1; i < calls; i++ {
		checkGetError(c.call(request))
	}
	st := s.Stats()
	if st.Connections != 1 || len(st.Conns) != 1 || st.Handshakes != 1 || st.HandshakesFailed != 0 || st.Sealed != calls {
		t.Fatalf("connections %d, handshakes %d (failed %d), sealed %d", st.Connections, st.Handshakes, st.HandshakesFailed, st.Sealed)
	}
	cs := st.Conns[0]
	// Two handshake legs, then one request per call.
	if cs.Handshakes != 1 || cs.Sealed != calls || cs.Requests != calls+1 || cs.User != `HV03\demo` {
		t.Errorf("connection stats %+v", cs)
	}
	if st.Actions[hvURI+"/GetError"] != calls {
		t.Errorf("GetError counted %d times", st.Actions[hvURI+"/GetError"])
	}
}

// pywinrm's order: the AUTHENTICATE_MESSAGE with an empty body, then the
// sealed message; user names in every form Windows accepts.
func TestNTLMUserNameForms(t *testing.T) {
	s, url := startSim(t, "windows-default.json")
	request := loadRequest(t, "invoke.xml", defaultVars())
	for _, tt := range []struct{ domain, user string }{
		{"HV03", "demo"},
		{"", "demo"},
		{"CORP", "DEMO"},
		{"", "demo@hv03.corp.example"},
		{".", "administrator"},
	} {
		t.Run(tt.domain+`\`+tt.user, func(t *testing.T) {
			pw := "demo-password"
			if strings.EqualFold(tt.user, "administrator") {
				pw = s.Scenario().Users["Administrator"]
			}
			c := newSealedClient(t, url, ntlm.ClientConfig{User: tt.user, Domain: tt.domain, Password: pw}, nil)
			r, err := c.handshake(nil)
			if err != nil || r.status != http.StatusOK || len(r.body) != 0 {
				t.Fatalf("handshake: %v, status %d, body %q", err, r.status, r.body)
			}
			if r := c.call(request); r.status != http.StatusOK {
				t.Errorf("sealed call: status %d", r.status)
			} else {
				c.open(r)
			}
		})
	}
}

func TestNTLMRefusals(t *testing.T) {
	request := loadRequest(t, "invoke.xml", defaultVars())
	t.Run("wrong password", func(t *testing.T) {
		s, url := startSim(t, "windows-default.json")
		c := newSealedClient(t, url, ntlm.ClientConfig{User: "demo", Password: "wrong"}, nil)
		r, err := c.handshake(request)
		if err != nil || r.status != http.StatusUnauthorized || len(r.body) != 0 ||
			strings.Join(r.header.Values("WWW-Authenticate"), "|") != "Negotiate" {
			t.Fatalf("%v: status %d, WWW-Authenticate %q", err, r.status, r.header.Values("WWW-Authenticate"))
		}
		if st := s.Stats(); st.HandshakesFailed != 1 || st.Handshakes != 0 || st.Sealed != 0 || st.Conns[0].HandshakesFailed != 1 {
			t.Errorf("stats %+v", st)
		}
	})
	t.Run("unknown user", func(t *testing.T) {
		s, url := startSim(t, "windows-default.json")
		c := newSealedClient(t, url, ntlm.ClientConfig{User: "mallory", Password: "demo-password"}, nil)
		if r, _ := c.handshake(request); r.status != http.StatusUnauthorized || s.Stats().HandshakesFailed != 1 {
			t.Fatalf("status %d", r.status)
		}
	})
	t.Run("plain message after the handshake", func(t *testing.T) {
		s, url := startSim(t, "windows-default.json")
		c := newSealedClient(t, url, ntlm.ClientConfig{User: "demo", Password: "demo-password"}, nil)
		if r, err := c.handshake(nil); err != nil || r.status != http.StatusOK {
			t.Fatalf("handshake: %v, %d", err, r.status)
		}
		r := c.do(soapHeader(), request)
		if r.status != http.StatusInternalServerError || len(r.body) != 0 {
			t.Errorf("status %d, body %q; want 500 and an empty body", r.status, r.body)
		}
		if st := s.Stats(); st.Unencrypted != 1 || st.Actions[hvURI+"/GetError"] != 0 {
			t.Errorf("stats %+v", st)
		}
		// The connection stays authenticated: a sealed message still works.
		if r := c.call(request); r.status != http.StatusOK {
			t.Errorf("sealed after refusal: %d", r.status)
		}
	})
	t.Run("tampered sealed message", func(t *testing.T) {
		_, url := startSim(t, "windows-default.json")
		c := newSealedClient(t, url, ntlm.ClientConfig{User: "demo", Password: "demo-password"}, nil)
		if r, err := c.handshake(nil); err != nil || r.status != http.StatusOK {
			t.Fatalf("handshake: %v, %d", err, r.status)
		}
		h, body := c.seal(request)
		body[len(body)-40] ^= 1
		if r := c.do(h, body); r.status != http.StatusBadRequest {
			t.Errorf("status %d, want 400", r.status)
		}
	})
	t.Run("sealed message without a context", func(t *testing.T) {
		_, url := startSim(t, "default.json")
		h := http.Header{"Content-Type": {msgenc.ContentType(msgenc.ProtocolSPNEGO)}}
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("demo:demo-password")))
		c := newSealedClient(t, url, ntlm.ClientConfig{}, nil)
		if r := c.do(h, []byte("--Encrypted Boundary\r\n")); r.status != http.StatusBadRequest {
			t.Errorf("status %d, want 400", r.status)
		}
	})
}

// Basic on HTTP with AllowUnencrypted=false: refused and not offered.
// (hardened.json has no HTTP listener at all: TestHTTPSOnlyHost.)
func TestBasicOverHTTPRefused(t *testing.T) {
	for _, sc := range []string{"windows-default.json"} {
		t.Run(sc, func(t *testing.T) {
			s, url := startSim(t, sc)
			ex := post(t, url, loadRequest(t, "invoke.xml", defaultVars()))
			got := strings.Join(ex.header.Values("WWW-Authenticate"), " | ")
			if ex.status != http.StatusUnauthorized || len(ex.body) != 0 || got != "Negotiate" {
				t.Errorf("status %d, WWW-Authenticate %q, body %q", ex.status, got, ex.body)
			}
			if st := s.Stats(); st.AuthFailures != 1 {
				t.Errorf("auth failures %d", st.AuthFailures)
			}
		})
	}
}

// Contexts belong to connections: a second connection is not
// authenticated by the first one's handshake and makes its own.
func TestContextsArePerConnection(t *testing.T) {
	s, url := startSim(t, "windows-default.json")
	request := loadRequest(t, "invoke.xml", defaultVars())
	a := newSealedClient(t, url, ntlm.ClientConfig{User: "demo", Password: "demo-password"}, nil)
	if r, err := a.handshake(request); err != nil || r.status != http.StatusOK {
		t.Fatalf("first connection: %v, %d", err, r.status)
	} else {
		a.open(r)
	}
	b := newSealedClient(t, url, ntlm.ClientConfig{User: "demo", Password: "demo-password"}, nil)
	// A sealed message on b's connection, which never authenticated.
	h := http.Header{"Content-Type": {msgenc.ContentType(msgenc.ProtocolSPNEGO)}}
	if r := b.do(h, []byte("--Encrypted Boundary\r\n")); r.status != http.StatusUnauthorized {
		t.Errorf("second connection without a handshake: status %d, want 401", r.status)
	}
	if r, err := b.handshake(request); err != nil || r.status != http.StatusOK {
		t.Fatalf("second connection: %v, %d", err, r.status)
	} else {
		b.open(r)
	}
	b.open(c2(t, b.call(request)))
	a.open(c2(t, a.call(request)))
	st := s.Stats()
	if st.Connections != 2 || st.Handshakes != 2 || st.Conns[0].Handshakes != 1 || st.Conns[1].Handshakes != 1 {
		t.Errorf("stats %+v", st)
	}
}

func c2(t *testing.T, r rawReply) rawReply {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}
	return r
}

// A hostile job misbehaves on a sealed connection too; the huge reply
// declares more than any client accepts.
func TestSealedHuge(t *testing.T) {
	s, url := startSim(t, "hostile.json")
	var id string
	for _, j := range s.Jobs() {
		if j.Inject == InjectHuge {
			id = j.InstanceID
		}
	}
	c := newSealedClient(t, url, ntlm.ClientConfig{User: "demo", Password: "demo-password"}, nil)
	tok, _, _ := c.init.Step(nil)
	r := c.do(http.Header{"Authorization": {"Negotiate " + base64.StdEncoding.EncodeToString(tok)}}, nil)
	_, b64, _ := strings.Cut(r.header.Get("WWW-Authenticate"), " ")
	challenge, _ := base64.StdEncoding.DecodeString(b64)
	tok, _, err := c.init.Step(challenge)
	if err != nil {
		t.Fatal(err)
	}
	h, body := c.seal(loadRequest(t, "invoke.xml", defaultVars().with("$ID", id)))
	h.Set("Authorization", "Negotiate "+base64.StdEncoding.EncodeToString(tok))
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header = h
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	head := make([]byte, 300)
	n, _ := io.ReadFull(resp.Body, head)
	if mt := resp.Header.Get("Content-Type"); !strings.HasPrefix(mt, msgenc.MediaEncrypted) || !bytes.Contains(head[:n], []byte("Length=268435456")) {
		t.Errorf("Content-Type %q, head %q", mt, head[:n])
	}
}
