package simulator

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// Authenticator decides whether a request may proceed. When it returns
// ok == false it has already written the reply (a 401 as Windows sends it).
// Later transports (NTLM, Kerberos) plug in here.
type Authenticator interface {
	Authenticate(w http.ResponseWriter, r *http.Request) (user string, ok bool)
}

// BasicAuthenticator accepts HTTP Basic credentials of its Users, as a
// Windows host with Basic enabled does for local accounts. User names are
// compared without regard to case, passwords exactly.
type BasicAuthenticator struct {
	Users map[string]string
	// Offer lists the schemes named in a 401 ("Negotiate", "Kerberos",
	// "CredSSP", "Basic"). Basic credentials are refused unless Basic is
	// offered, as on a host with Basic disabled. Nil offers Basic only.
	Offer []string
}

// Authenticate implements Authenticator.
func (a *BasicAuthenticator) Authenticate(w http.ResponseWriter, r *http.Request) (string, bool) {
	offer := a.Offer
	if offer == nil {
		offer = []string{"Basic"}
	}
	if user, pass, ok := r.BasicAuth(); ok && offers(offer, "Basic") {
		for u, p := range a.Users {
			if strings.EqualFold(u, user) && subtle.ConstantTimeCompare([]byte(p), []byte(pass)) == 1 {
				return u, true
			}
		}
	}
	Challenge(w, offer)
	return "", false
}

// Challenge writes HTTP 401 the way WinRM does: an empty body and one
// WWW-Authenticate header per offered scheme, Basic with realm="WSMAN".
func Challenge(w http.ResponseWriter, offer []string) {
	for _, s := range offer {
		if strings.EqualFold(s, "Basic") {
			s = `Basic realm="WSMAN"`
		}
		w.Header().Add("WWW-Authenticate", s)
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusUnauthorized)
}

func offers(list []string, scheme string) bool {
	for _, s := range list {
		if strings.EqualFold(s, scheme) {
			return true
		}
	}
	return false
}
