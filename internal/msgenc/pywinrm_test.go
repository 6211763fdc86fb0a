package msgenc_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cimjob/cimjob/internal/msgenc"
	"github.com/cimjob/cimjob/internal/ntlm"
	"github.com/cimjob/cimjob/internal/pywinrmtest"
)

// These tests check the NTLM acceptor, session security and framing against
// pywinrm (Debian's python3-winrm with requests_ntlm and ntlm-auth), a client
// nobody here wrote, over loopback HTTP/1.1 as Windows serves WinRM.

// runPython runs a testdata script, bounded in time (no timing asserted).
func runPython(t *testing.T, py string, args ...string) ([]byte, []byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := pywinrmtest.Command(ctx, t, py, args)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.Bytes(), stderr.Bytes(), err
}

// conn is the per-TCP-connection state of the test server: NTLM is
// connection-oriented, so the handshake and session live here.
type conn struct {
	acceptor   *ntlm.Acceptor
	session    *ntlm.Session
	handshakes int
	sealed     int // sealed messages received
	schemes    []string
	withMIC    int // AUTHENTICATE_MESSAGEs whose MIC the acceptor had to verify
}

type connKey struct{}

// server is a minimal WinRM endpoint: Negotiate (NTLM) handshake, then every
// message sealed with that connection's session.
type server struct {
	t       *testing.T
	reply   []byte
	mu      sync.Mutex
	conns   []*conn
	bodies  [][]byte
	rejects int
}

func (s *server) users(domain, user string) (string, bool) {
	return "Sekr1t-Pässwort", strings.EqualFold(user, "wsadmin")
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := r.Context().Value(connKey{}).(*conn)
	s.mu.Lock()
	defer s.mu.Unlock()
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && (scheme == "Negotiate" || scheme == "NTLM") {
		if !s.authenticate(w, c, scheme, token) {
			return
		}
	}
	if c.session == nil {
		challenge(w, "")
		return
	}
	if len(body) == 0 { // pywinrm's empty POST that sets up the context
		w.WriteHeader(http.StatusOK)
		return
	}
	plain, err := msgenc.Decode(c.session, r.Header.Get("Content-Type"), body, 1<<20)
	if err != nil {
		s.t.Errorf("decode request: %v", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := wellFormed(plain); err != nil {
		s.t.Errorf("unsealed request is not XML: %v", err)
	}
	c.sealed++
	s.bodies = append(s.bodies, plain)
	out, err := msgenc.Encode(c.session, msgenc.ProtocolSPNEGO, s.reply)
	if err != nil {
		s.t.Errorf("encode reply: %v", err)
		return
	}
	w.Header().Set("Content-Type", msgenc.ContentType(msgenc.ProtocolSPNEGO))
	w.WriteHeader(http.StatusOK)
	w.Write(out)
}

// authenticate handles one handshake leg; false means a response was sent.
func (s *server) authenticate(w http.ResponseWriter, c *conn, scheme, token string) bool {
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil || len(raw) < 12 {
		http.Error(w, "bad token", http.StatusBadRequest)
		return false
	}
	switch raw[8] { // NTLM message type
	case 1:
		c.schemes = append(c.schemes, scheme)
		c.acceptor, c.session = ntlm.NewAcceptor(ntlm.AcceptorConfig{NetBIOSDomain: "LAB", NetBIOSComputer: "HV01", DNSDomain: "lab.example", DNSComputer: "hv01.lab.example"}), nil
		cm, err := c.acceptor.Challenge(raw)
		if err != nil {
			s.t.Errorf("challenge: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return false
		}
		challenge(w, scheme+" "+base64.StdEncoding.EncodeToString(cm))
		return false
	case 3:
		if c.acceptor == nil {
			challenge(w, "")
			return false
		}
		c.schemes = append(c.schemes, scheme)
		if m, err := ntlm.ParseAuthenticate(raw); err == nil && m.MIC != nil {
			c.withMIC++
		}
		sess, _, err := c.acceptor.Accept(raw, s.users)
		c.acceptor = nil
		if err != nil {
			if !errors.Is(err, ntlm.ErrAuthenticationFailed) {
				s.t.Errorf("accept: %v", err)
			}
			s.rejects++
			challenge(w, "")
			return false
		}
		c.session = sess
		c.handshakes++
		return true
	}
	http.Error(w, "unexpected NTLM message", http.StatusBadRequest)
	return false
}

// challenge answers 401 as Windows does: "Negotiate" alone to start, or with
// the CHALLENGE_MESSAGE during a handshake.
func challenge(w http.ResponseWriter, value string) {
	if value == "" {
		value = "Negotiate"
	}
	w.Header().Set("WWW-Authenticate", value)
	w.WriteHeader(http.StatusUnauthorized)
}

func wellFormed(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		if _, err := d.Token(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

func startServer(t *testing.T, reply []byte) (*server, string) {
	s := &server{t: t, reply: reply}
	hs := httptest.NewUnstartedServer(s)
	hs.Config.ConnContext = func(ctx context.Context, _ net.Conn) context.Context {
		c := &conn{}
		s.mu.Lock()
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		return context.WithValue(ctx, connKey{}, c)
	}
	hs.Start() // loopback only
	t.Cleanup(hs.Close)
	return s, hs.URL + "/wsman"
}

func TestPywinrmSealedExchange(t *testing.T) {
	py := pywinrmtest.Need(t, pywinrmtest.Winrm, pywinrmtest.RequestsNTLM)
	reply, err := os.ReadFile("testdata/geterror_output.xml")
	if err != nil {
		t.Fatal(err)
	}
	request, err := os.ReadFile("testdata/geterror_request.xml")
	if err != nil {
		t.Fatal(err)
	}
	s, url := startServer(t, reply)
	const messages = 3
	stdout, stderr, err := runPython(t, py, "testdata/pywinrm_send.py", url, `LAB\wsadmin`, "Sekr1t-Pässwort", "testdata/geterror_request.xml", "3")
	if err != nil {
		t.Fatalf("pywinrm: %v\n%s", err, stderr)
	}
	var replies []string
	if err := json.Unmarshal(stdout, &replies); err != nil {
		t.Fatalf("pywinrm output %q: %v", stdout, err)
	}
	if len(replies) != messages {
		t.Fatalf("%d replies, want %d", len(replies), messages)
	}
	for i, r := range replies {
		if r != string(reply) {
			t.Errorf("reply %d as pywinrm decoded it differs from what was sealed:\n%s", i, r)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, b := range s.bodies {
		if !bytes.Equal(b, request) {
			t.Errorf("request %d unsealed to %q", i, b)
		}
	}
	// One TCP connection carried the handshake and every sealed message.
	if len(s.conns) != 1 {
		t.Fatalf("%d TCP connections, want 1", len(s.conns))
	}
	if c := s.conns[0]; c.handshakes != 1 || c.sealed != messages {
		t.Errorf("connection made %d handshakes and carried %d sealed messages, want 1 and %d", c.handshakes, c.sealed, messages)
	}
	// Windows answers "Negotiate", so requests_ntlm must use that scheme, and
	// ntlm-auth sends a MIC because the challenge carries a timestamp.
	if c := s.conns[0]; strings.Join(c.schemes, ",") != "Negotiate,Negotiate" || c.withMIC != 1 {
		t.Errorf("schemes %v, MICs %d", c.schemes, c.withMIC)
	}
}

func TestPywinrmWrongPassword(t *testing.T) {
	py := pywinrmtest.Need(t, pywinrmtest.Winrm, pywinrmtest.RequestsNTLM)
	s, url := startServer(t, []byte("<never/>"))
	_, stderr, err := runPython(t, py, "testdata/pywinrm_send.py", url, `LAB\wsadmin`, "wrong", "testdata/geterror_request.xml", "1")
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 || !bytes.Contains(stderr, []byte("InvalidCredentialsError")) {
		t.Fatalf("want pywinrm to fail with InvalidCredentialsError (exit 3), got %v\n%s", err, stderr)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rejects != 1 || len(s.bodies) != 0 {
		t.Errorf("rejects %d, sealed bodies %d; want 1 and 0", s.rejects, len(s.bodies))
	}
}

// pywinrm's own Encryption class, with a stand-in context, must write the
// same bytes as Encode and read what Encode writes.
func TestPywinrmFramingBytes(t *testing.T) {
	py := pywinrmtest.Need(t, pywinrmtest.Winrm) // winrm.encryption alone: no transport
	plain := []byte(envelope)
	out, stderr, err := runPython(t, py, "testdata/pywinrm_frame.py", "encode", hex.EncodeToString(plain))
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	ours, err := msgenc.Encode(xorSealer{}, msgenc.ProtocolSPNEGO, plain)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := hex.DecodeString(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ours, theirs) {
		t.Errorf("framing differs from pywinrm:\n ours   %q\n theirs %q", ours, theirs)
	}
	out, stderr, err = runPython(t, py, "testdata/pywinrm_frame.py", "decode", hex.EncodeToString(ours))
	if err != nil {
		t.Fatalf("pywinrm cannot read our body: %v\n%s", err, stderr)
	}
	if got, _ := hex.DecodeString(strings.TrimSpace(string(out))); !bytes.Equal(got, plain) {
		t.Errorf("pywinrm decoded %q", got)
	}
}
