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
		if u, ok := checkBasic(a.Users, user, pass); ok {
			return u, true
		}
	}
	Challenge(w, offer)
	return "", false
}

// checkBasic checks a Basic user name and password against users.
func checkBasic(users map[string]string, user, pass string) (string, bool) {
	u, ok := findUser(users, user)
	if !ok || subtle.ConstantTimeCompare([]byte(users[u]), []byte(pass)) != 1 {
		return "", false
	}
	return u, true
}

// findUser finds a user without regard to case, named bare, as
// "DOMAIN\user" or as "user@domain": the simulated host's users are its
// local accounts, whatever domain the client names.
func findUser(users map[string]string, name string) (string, bool) {
	if i := strings.LastIndexByte(name, '\\'); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.LastIndexByte(name, '@'); i > 0 {
		name = name[:i]
	}
	for u := range users {
		if strings.EqualFold(u, name) {
			return u, true
		}
	}
	return "", false
}

// Challenge writes HTTP 401 the way WinRM does: an empty body and one
// WWW-Authenticate header per offered scheme, Basic with realm="WSMAN".
// "Certificate" is never named: client certificates travel in TLS.
func Challenge(w http.ResponseWriter, offer []string) {
	for _, s := range offer {
		if strings.EqualFold(s, "Certificate") {
			continue
		}
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
