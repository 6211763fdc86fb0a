package krb_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cimjob/cimjob/internal/krb"
	"github.com/cimjob/cimjob/internal/msgenc"
	"github.com/cimjob/cimjob/internal/pywinrmtest"
)

// These tests put MIT's own GSS-API (libgssapi-krb5 through Debian's
// python3-gssapi) on the other side: its SPNEGO and Kerberos
// implementations and its gss_wrap_iov, which is what pyspnego and
// pykerberos use to seal WinRM messages for Windows.

func (r *realm) pythonEnv(keytab string) []string {
	return append(r.kdc.Env(), "KRB5CCNAME=FILE:"+r.ccache, "KRB5_KTNAME=FILE:"+keytab)
}

// wsmanServer is a loopback WinRM endpoint with one Acceptor per TCP
// connection, answering every sealed request with reply.
type wsmanServer struct {
	t         *testing.T
	r         *realm
	reply     []byte
	mu        sync.Mutex
	bodies    [][]byte
	users     []string
	conns     int
	tokenForm []string
}

type acceptorKey struct{}

func (s *wsmanServer) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	a := req.Context().Value(acceptorKey{}).(*connAcceptor)
	s.mu.Lock()
	defer s.mu.Unlock()
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if scheme, token, ok := strings.Cut(req.Header.Get("Authorization"), " "); ok && scheme == krb.SchemeNegotiate {
		raw, err := base64.StdEncoding.DecodeString(token)
		if err != nil {
			http.Error(w, "bad token", http.StatusBadRequest)
			return
		}
		s.tokenForm = append(s.tokenForm, tokenForm(raw))
		a.Acceptor = s.r.acceptor(krb.SchemeNegotiate)
		out, done, err := a.Step(raw)
		if err != nil || !done {
			s.t.Errorf("accept: done %v, %v", done, err)
			w.Header().Set("WWW-Authenticate", "Negotiate")
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		s.users = append(s.users, a.User())
		w.Header().Set("WWW-Authenticate", "Negotiate "+base64.StdEncoding.EncodeToString(out))
	}
	if a.Acceptor == nil {
		w.Header().Set("WWW-Authenticate", "Negotiate")
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if len(body) == 0 { // pywinrm's empty POST that sets up the context
		w.WriteHeader(http.StatusOK)
		return
	}
	plain, err := msgenc.Decode(a, req.Header.Get("Content-Type"), body, 1<<20)
	if err != nil {
		s.t.Errorf("decode request: %v", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.bodies = append(s.bodies, plain)
	out, err := msgenc.Encode(a, a.Protocol(), s.reply)
	if err != nil {
		s.t.Errorf("encode reply: %v", err)
		return
	}
	w.Header().Set("Content-Type", msgenc.ContentType(a.Protocol()))
	w.Write(out)
}

type connAcceptor struct{ *krb.Acceptor }

// tokenForm says whether a first token is SPNEGO or bare Kerberos, by the
// OID after the GSS-API framing.
func tokenForm(b []byte) string {
	switch {
	case bytes.Contains(b[:min(len(b), 16)], []byte{0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02}):
		return "spnego"
	case bytes.Contains(b[:min(len(b), 16)], []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02}):
		return "krb5"
	}
	return "other"
}

// MIT initiator (inside pywinrm's transport and framing) against our
// acceptor: handshake, then sealed requests and replies.
func TestMITInitiatorWithPywinrm(t *testing.T) {
	r := needCCache(t) // the MIT initiator logs in from alice's cache
	py := pywinrmtest.Need(t, pywinrmtest.GSSAPI, pywinrmtest.Requests, pywinrmtest.Winrm, pywinrmtest.RequestsKerberos)
	request, err := os.ReadFile("../msgenc/testdata/geterror_request.xml")
	if err != nil {
		t.Fatal(err)
	}
	reply, err := os.ReadFile("../msgenc/testdata/geterror_output.xml")
	if err != nil {
		t.Fatal(err)
	}
	for _, mech := range []string{"spnego", "krb5"} {
		t.Run(mech, func(t *testing.T) {
			s := &wsmanServer{t: t, r: r, reply: reply}
			hs := httptest.NewUnstartedServer(s)
			hs.Config.ConnContext = func(ctx context.Context, _ net.Conn) context.Context {
				s.mu.Lock()
				s.conns++
				s.mu.Unlock()
				return context.WithValue(ctx, acceptorKey{}, &connAcceptor{})
			}
			hs.Start()
			defer hs.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := pywinrmtest.Command(ctx, t, py, []string{"testdata/mit_gss.py", "initiator", mech, hs.URL + "/wsman", "../msgenc/testdata/geterror_request.xml", "3"}, r.pythonEnv(r.serviceKeytab)...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("pywinrm with MIT GSS-API: %v\n%s", err, stderr.Bytes())
			}
			var replies []string
			if err := json.Unmarshal(stdout.Bytes(), &replies); err != nil {
				t.Fatalf("output %q: %v", stdout.Bytes(), err)
			}
			if len(replies) != 3 {
				t.Fatalf("%d replies", len(replies))
			}
			for i, got := range replies {
				if got != string(reply) {
					t.Errorf("reply %d as MIT unsealed it differs:\n%s", i, got)
				}
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			for i, b := range s.bodies {
				if !bytes.Equal(b, request) {
					t.Errorf("request %d unsealed to %q", i, b)
				}
			}
			if len(s.bodies) != 3 || s.conns != 1 || len(s.users) != 1 || s.users[0] != "alice@"+r.kdc.Realm {
				t.Errorf("%d sealed requests on %d connections by %v", len(s.bodies), s.conns, s.users)
			}
			if len(s.tokenForm) != 1 || s.tokenForm[0] != mech {
				t.Errorf("first tokens %v, want one %s", s.tokenForm, mech)
			}
		})
	}
}

// mitAcceptor drives testdata/mit_gss.py in acceptor mode.
type mitAcceptor struct {
	t   *testing.T
	in  io.WriteCloser
	out *bufio.Scanner
}

func (m *mitAcceptor) send(format string, args ...any) string {
	m.t.Helper()
	fmt.Fprintf(m.in, format+"\n", args...)
	return m.read()
}

func (m *mitAcceptor) read() string {
	m.t.Helper()
	if !m.out.Scan() {
		m.t.Fatalf("MIT acceptor stopped: %v", m.out.Err())
	}
	return m.out.Text()
}

// Our initiator against MIT's acceptor (keytab from kadmin): MIT checks
// our AP-REQ and SPNEGO token, we check its AP-REP and take its subkey;
// then sealed messages both ways, each side unsealing the other's.
func TestInitiatorWithMITAcceptor(t *testing.T) {
	r := needRealm(t)
	py := pywinrmtest.Need(t, pywinrmtest.GSSAPI) // the acceptor side of mit_gss.py uses gssapi alone
	ctx := context.Background()
	c, err := krb.NewClient(ctx, krb.ClientConfig{User: "alice", Password: alicePassword, ConfigPath: r.kdc.Krb5Conf})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ mech, scheme string }{{"spnego", krb.SchemeNegotiate}, {"krb5", krb.SchemeKerberos}} {
		t.Run(tt.mech, func(t *testing.T) {
			cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			defer cancel()
			cmd := pywinrmtest.Command(cctx, t, py, []string{"testdata/mit_gss.py", "acceptor", tt.mech}, r.pythonEnv(r.serviceKeytab)...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			in, _ := cmd.StdinPipe()
			outPipe, _ := cmd.StdoutPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			out := bufio.NewScanner(outPipe)
			out.Buffer(nil, 1<<22)
			m := &mitAcceptor{t: t, in: in, out: out}
			defer func() {
				in.Close()
				if err := cmd.Wait(); err != nil {
					t.Errorf("MIT acceptor: %v\n%s", err, stderr.Bytes())
				}
			}()
			i, err := c.NewInitiator(ctx, krb.InitiatorConfig{Host: "127.0.0.1", Scheme: tt.scheme})
			if err != nil {
				t.Fatal(err)
			}
			tok, _, err := i.Step(nil)
			if err != nil {
				t.Fatal(err)
			}
			rep := m.send("%x", tok)
			if user := m.read(); user != "alice@"+r.kdc.Realm {
				t.Fatalf("MIT authenticated %q (stderr %s)", user, stderr.Bytes())
			}
			raw, err := hex.DecodeString(rep)
			if err != nil {
				t.Fatalf("MIT reply %q: %v", rep, err)
			}
			if _, done, err := i.Step(raw); err != nil || !done {
				t.Fatalf("MIT's AP-REP: done %v, %v", done, err)
			}
			for n := 0; n < 3; n++ {
				msg := []byte(fmt.Sprintf("<s:Envelope>message %d</s:Envelope>", n))
				sig, sealed, err := i.Seal(msg)
				if err != nil {
					t.Fatal(err)
				}
				if got := m.send("unseal %x %x", sig, sealed); got != hex.EncodeToString(msg) {
					t.Fatalf("MIT unsealed %q", got)
				}
				words := strings.Fields(m.send("seal %x", bytes.Repeat(msg, n+1)))
				if len(words) != 2 {
					t.Fatalf("MIT seal output %q", words)
				}
				msig, _ := hex.DecodeString(words[0])
				mdata, _ := hex.DecodeString(words[1])
				if len(msig) != 60 || len(mdata) != len(msg)*(n+1) {
					t.Errorf("MIT split the token %d + %d bytes; ours is 60 + message", len(msig), len(mdata))
				}
				got, err := i.Unseal(msig, mdata)
				if err != nil || !bytes.Equal(got, bytes.Repeat(msg, n+1)) {
					t.Fatalf("unsealing MIT's token: %q, %v", got, err)
				}
			}
		})
	}
}
