package simulator

import (
	"encoding/base64"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/cimjob/cimjob/internal/msgenc"
)

// MutualProfile is the Authorization header value of WS-Management
// certificate authentication (DSP0226 security profile https/mutual): the
// client's certificate, presented in TLS, is the credential.
const MutualProfile = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"

// sealOverhead is what the multipart/encrypted framing may add to a
// message: part headers, boundaries and the signature.
const sealOverhead = 64 << 10

// authResult is whom a request runs as, and under which context.
type authResult struct {
	user string
	// sess is the connection's established context when the client
	// authenticated with Negotiate or Kerberos, now or earlier on the
	// connection: sealed messages are unsealed with it.
	sess Acceptor
	// fresh is set when this request completed the handshake.
	fresh bool
	// uri is the resource URI pattern of the certificate mapping used.
	uri string
}

// offer lists the schemes a 401 names on this request's transport. A host
// with AllowUnencrypted=false neither accepts nor names Basic on HTTP
// (that it does not name it is inferred).
func (s *Server) offer(r *http.Request) []string {
	schemes := s.sc.AuthSchemes
	if len(schemes) == 0 {
		schemes = []string{"Basic"}
	}
	if r.TLS != nil || s.sc.AllowUnencrypted {
		return schemes
	}
	out := make([]string, 0, len(schemes))
	for _, x := range schemes {
		if !strings.EqualFold(x, "Basic") {
			out = append(out, x)
		}
	}
	return out
}

// refuse answers 401 with the host's challenge.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, why string) {
	s.count(func(st *Stats) { st.AuthFailures++ })
	Challenge(w, s.offer(r))
	s.logRequest(r, "-> 401 (%s)", why)
}

// admit authenticates a request the way the scenario's host would. It
// returns false when it has answered the request itself (a 401, or a
// handshake leg).
func (s *Server) admit(w http.ResponseWriter, r *http.Request, cs *connState) (authResult, bool) {
	if s.auth != nil {
		// A caller's Authenticator: plain messages only, as before.
		user, ok := s.auth.Authenticate(w, r)
		if !ok {
			s.count(func(st *Stats) { st.AuthFailures++ })
			s.logRequest(r, "-> 401")
		}
		return authResult{user: user}, ok
	}
	authz := r.Header.Get("Authorization")
	scheme, token, _ := strings.Cut(authz, " ")
	switch {
	case authz == "":
		// NTLM and Kerberos authenticate the connection: later requests on
		// it carry no Authorization header.
		cs.mu.Lock()
		ctx := cs.ctx
		cs.mu.Unlock()
		if ctx != nil {
			return authResult{user: ctx.User(), sess: ctx}, true
		}
		s.refuse(w, r, "no credentials")
	case strings.EqualFold(scheme, "Negotiate") || strings.EqualFold(scheme, "Kerberos"):
		if !offers(s.sc.AuthSchemes, scheme) {
			s.refuse(w, r, scheme+" is not enabled")
			break
		}
		return s.handshake(w, r, cs, scheme, strings.TrimSpace(token))
	case strings.EqualFold(scheme, "Basic"):
		user, pass, _ := r.BasicAuth()
		if !offers(s.offer(r), "Basic") {
			s.refuse(w, r, "Basic is not enabled on this transport")
			break
		}
		if u, ok := checkBasic(s.sc.Users, user, pass); ok {
			return authResult{user: u}, true
		}
		s.refuse(w, r, "wrong Basic credentials")
	case authz == MutualProfile:
		return s.certificate(w, r)
	default:
		s.refuse(w, r, "unsupported Authorization")
	}
	return authResult{}, false
}

// handshake runs one leg of a Negotiate/Kerberos handshake on the
// connection's state.
func (s *Server) handshake(w http.ResponseWriter, r *http.Request, cs *connState, scheme, token string) (authResult, bool) {
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil || len(raw) == 0 {
		s.handshakeFailed(w, r, cs, "token is not base64")
		return authResult{}, false
	}
	cs.mu.Lock()
	if cs.pending == nil || isNTLMNegotiate(raw) {
		// A new handshake; one on an authenticated connection replaces
		// its context.
		a, err := s.newAcceptor(scheme, raw, s.connInfo(r, cs))
		if err != nil {
			cs.pending = nil
			cs.mu.Unlock()
			s.handshakeFailed(w, r, cs, err.Error())
			return authResult{}, false
		}
		cs.pending, cs.ctx = a, nil
	}
	out, done, err := cs.pending.Step(raw)
	if err != nil {
		cs.pending = nil
		cs.mu.Unlock()
		s.handshakeFailed(w, r, cs, err.Error())
		return authResult{}, false
	}
	if !done {
		cs.mu.Unlock()
		w.Header().Set("WWW-Authenticate", scheme+" "+base64.StdEncoding.EncodeToString(out))
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusUnauthorized)
		s.logRequest(r, "-> 401 (%s handshake continues)", scheme)
		return authResult{}, false
	}
	ctx := cs.pending
	cs.ctx, cs.pending = ctx, nil
	cs.mu.Unlock()
	s.count(func(st *Stats) {
		st.Handshakes++
		cs.stats.Handshakes++
		cs.stats.User = ctx.User()
	})
	if len(out) > 0 {
		w.Header().Set("WWW-Authenticate", scheme+" "+base64.StdEncoding.EncodeToString(out))
	}
	s.logRequest(r, "%s handshake done: %s", scheme, ctx.User())
	return authResult{user: ctx.User(), sess: ctx, fresh: true}, true
}

func (s *Server) handshakeFailed(w http.ResponseWriter, r *http.Request, cs *connState, why string) {
	s.count(func(st *Stats) {
		st.HandshakesFailed++
		cs.stats.HandshakesFailed++
	})
	s.refuse(w, r, "handshake failed: "+why)
}

// certificate maps the verified client certificate to a user.
func (s *Server) certificate(w http.ResponseWriter, r *http.Request) (authResult, bool) {
	switch {
	case r.TLS == nil:
		s.refuse(w, r, "certificate authentication needs HTTPS")
	case !offers(s.sc.AuthSchemes, "Certificate"):
		s.refuse(w, r, "certificate authentication is not enabled")
	case len(r.TLS.VerifiedChains) == 0:
		s.refuse(w, r, "no verified client certificate")
	default:
		user, uri, err := mapCertificate(s.sc, r.TLS.VerifiedChains[0])
		if err != nil {
			s.refuse(w, r, err.Error())
			break
		}
		s.logRequest(r, "certificate mapped to %s", user)
		return authResult{user: user, uri: uri}, true
	}
	return authResult{}, false
}

func (s *Server) connInfo(r *http.Request, cs *connState) ConnInfo {
	info := ConnInfo{ID: cs.stats.ID, RemoteAddr: r.RemoteAddr, TLS: r.TLS}
	if r.TLS != nil {
		info.ServerCert = s.Certificate()
	}
	return info
}

// readMessage reads the request body within the host's limits and unseals
// it when it came sealed. It returns ok false when it has answered the
// request itself.
func (s *Server) readMessage(w http.ResponseWriter, r *http.Request, cs *connState, a authResult) (data []byte, sealed, ok bool) {
	if a.fresh && r.ContentLength == 0 {
		// The body-less request that carried the last handshake leg
		// (pywinrm sends one to set up the context before the message).
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		s.logRequest(r, "-> 200 (context established)")
		return nil, false, false
	}
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	encrypted := err == nil && (mt == msgenc.MediaEncrypted || mt == msgenc.MediaMultiEncrypted)
	if !encrypted && (err != nil || mt != "application/soap+xml") {
		s.reject(w, r, http.StatusUnsupportedMediaType)
		return nil, false, false
	}
	if !encrypted && a.sess != nil && r.TLS == nil && !s.sc.AllowUnencrypted {
		// AllowUnencrypted=false: Windows answers HTTP 500 and logs that
		// it received an unencrypted message.
		s.count(func(st *Stats) { st.Unencrypted++ })
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusInternalServerError)
		s.logRequest(r, "-> 500 (unencrypted message refused: AllowUnencrypted=false)")
		return nil, false, false
	}
	limit := int64(s.sc.MaxEnvelopeSizeKB) * 1024
	room := limit
	if encrypted {
		room += sealOverhead
	}
	if r.ContentLength > room {
		s.reject(w, r, http.StatusRequestEntityTooLarge)
		return nil, false, false
	}
	data, err = io.ReadAll(io.LimitReader(r.Body, room+1))
	if err != nil {
		s.logRequest(r, "read error: %v", err)
		return nil, false, false
	}
	if int64(len(data)) > room {
		s.reject(w, r, http.StatusRequestEntityTooLarge)
		return nil, false, false
	}
	if !encrypted {
		return data, false, true
	}
	if a.sess == nil {
		s.logRequest(r, "sealed message without a Negotiate/Kerberos context")
		s.reject(w, r, http.StatusBadRequest)
		return nil, false, false
	}
	cs.mu.Lock()
	plain, err := msgenc.Decode(a.sess, ct, data, int(limit))
	cs.mu.Unlock()
	if err != nil {
		s.logRequest(r, "cannot unseal: %v", err)
		s.reject(w, r, http.StatusBadRequest)
		return nil, false, false
	}
	s.count(func(st *Stats) {
		st.Sealed++
		cs.stats.Sealed++
	})
	return plain, true, true
}
