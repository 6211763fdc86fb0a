package exporter

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/cimjob/cimjob/wsman"
)

// maxTargetLen bounds the target parameter: a URL of a WS-Man endpoint is
// far shorter, and a refusal echoes the target.
const maxTargetLen = 1024

// targetURL is the service URL of target under module m: the target's own
// scheme, port and path where it gives them, the module's otherwise (see
// wsman.Endpoint). A refusal is one line that calls the input "target" and
// never echoes credentials.
func targetURL(target string, m *Module) (string, error) {
	if len(target) > maxTargetLen {
		return "", fmt.Errorf("target is longer than %d bytes: give a host name, host:port or URL", maxTargetLen)
	}
	u, err := wsman.Endpoint(target, wsman.EndpointDefaults{HTTPS: m.r.https, Port: m.Port, Path: m.Path})
	var ee *wsman.EndpointError
	if errors.As(err, &ee) {
		if ee.Problem == wsman.EndpointCredentials {
			return "", errors.New("target must not carry a user name or password: the module's password_env or password_file gives them")
		}
		return "", errors.New(ee.Message("target"))
	}
	return u, err
}

// allowed reports whether the module's allow-list admits target.
func (m *Module) allowed(target string) bool {
	if len(m.r.targets) == 0 {
		return true
	}
	for _, re := range m.r.targets {
		if re.MatchString(target) {
			return true
		}
	}
	return false
}

// pathAllowed reports whether the service URL u of a target may be
// probed under the module's allow-list: the patterns see the target as
// given, and a URL's path is the one part of it that names no host, so
// with an allow-list it must be the module's. Else a pattern such as
// '.*\.corp\.example' would admit http://elsewhere/x.corp.example and send
// the module's credentials elsewhere.
func (m *Module) pathAllowed(u string) bool {
	if len(m.r.targets) == 0 {
		return true
	}
	pu, err := url.Parse(u)
	return err == nil && pu.Path == m.urlPath()
}

// urlPath is the module's URL path.
func (m *Module) urlPath() string {
	if m.Path == "" {
		return wsman.DefaultPath
	}
	return m.Path
}
