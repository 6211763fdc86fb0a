package wsman

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Windows' WinRM listeners: the ports of its http and https listeners and
// the path of both.
const (
	DefaultHTTPPort  = 5985
	DefaultHTTPSPort = 5986
	DefaultPath      = "/wsman"
)

// EndpointDefaults fill in what a host named by Endpoint leaves out.
type EndpointDefaults struct {
	// HTTPS picks https for a host given without a scheme; an http://
	// URL then conflicts with it.
	HTTPS bool
	// Port is the port of a host given without a scheme or port; 0 means
	// DefaultHTTPPort or DefaultHTTPSPort by scheme.
	Port int
	// Path is the path when none is given; empty means DefaultPath.
	Path string
}

// EndpointProblem is why Endpoint refused a host.
type EndpointProblem int

// The problems Endpoint reports.
const (
	// EndpointEmpty: no host at all.
	EndpointEmpty EndpointProblem = iota + 1
	// EndpointCredentials: a user name or password in it ('@'). The host
	// is then never echoed.
	EndpointCredentials
	// EndpointNotURL: has "://" but is no http(s) URL with a host.
	EndpointNotURL
	// EndpointSchemeConflict: an http:// URL where HTTPS was asked for.
	EndpointSchemeConflict
	// EndpointQuery: a URL with a query or fragment, which would go into
	// every request's wsa:To.
	EndpointQuery
	// EndpointNoPort: a ':' with no port after it.
	EndpointNoPort
	// EndpointBadPort: a port that is no number from 1 to 65535.
	EndpointBadPort
	// EndpointFlagLike: starts with '-'.
	EndpointFlagLike
	// EndpointBadName: neither a host name nor an IP address.
	EndpointBadName
	// EndpointUnbalanced: a bracket without its pair.
	EndpointUnbalanced
	// EndpointBrackets: brackets around something other than an IPv6
	// address.
	EndpointBrackets
	// EndpointZone: a %zone on an address other than a link-local IPv6
	// one. Go ignores a zone it cannot resolve, so "::ffff:10.0.0.5%x"
	// would reach 10.0.0.5 while reading, to a pattern, as anything.
	EndpointZone
)

// EndpointError is Endpoint's refusal. Message names the input as the
// caller calls it (a flag, a parameter); Error calls it "host".
type EndpointError struct {
	Problem EndpointProblem
	// Host is the host as given, trimmed; empty for EndpointCredentials,
	// whose host must not be echoed.
	Host string
	// Port is the refused port (EndpointBadPort).
	Port string
}

func (e *EndpointError) Error() string { return e.Message("host") }

// Message is the one-line refusal, naming the input what ("--host",
// "target"): what is wrong and what to give instead.
func (e *EndpointError) Message(what string) string {
	h := e.Host
	switch e.Problem {
	case EndpointEmpty:
		return fmt.Sprintf("no %s: give a host name, address or URL", what)
	case EndpointCredentials:
		return fmt.Sprintf("%s must not carry a user name or password: give the credentials apart", what)
	case EndpointNotURL:
		return fmt.Sprintf("%s %q is not an http(s) URL", what, h)
	case EndpointSchemeConflict:
		return fmt.Sprintf("%s %q is an http:// URL where HTTPS is asked for: give an https:// URL", what, h)
	case EndpointQuery:
		return fmt.Sprintf("%s %q: the URL of a WS-Man endpoint has no query or fragment: give scheme://host[:port][/path]", what, h)
	case EndpointNoPort:
		return fmt.Sprintf("%s %q has a ':' but no port: give the port after it, or drop the ':'", what, h)
	case EndpointBadPort:
		return fmt.Sprintf("%s %q: bad port %q (want 1 to 65535)", what, h, e.Port)
	case EndpointFlagLike:
		after := ""
		if strings.HasPrefix(what, "-") {
			after = " after " + what
		}
		return fmt.Sprintf("%s %q looks like a flag: give the host's name or address%s", what, h, after)
	case EndpointBadName:
		return fmt.Sprintf("%s %q is not a host name or IP address (a name is dot-separated labels of ASCII letters, digits, '-' and '_', no label starting or ending with '-'; an internationalised name goes in its xn-- form)", what, h)
	case EndpointUnbalanced:
		// The inner part is shown raw in the advice only when it is an
		// address; anything else could carry control characters.
		inner := strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
		if !isHostName(inner) {
			inner = "ADDRESS"
		}
		return fmt.Sprintf("%s %q has unbalanced brackets: write [%s], or [%s]:PORT", what, h, inner, inner)
	case EndpointBrackets:
		return fmt.Sprintf("%s %q: brackets go only around an IPv6 address: write the name or IPv4 address without them", what, h)
	case EndpointZone:
		return fmt.Sprintf("%s %q: a %%zone goes only on a link-local IPv6 address (fe80::/10): drop it", what, h)
	}
	return fmt.Sprintf("%s %q is not a usable endpoint", what, h)
}

// Endpoint turns a host as a person names it into the service URL: a
// name or address ("hv01.corp.example", "10.0.0.5", "fe80::1"), with a
// port ("hv01:5985", "[fe80::1]:5985"), or a whole http(s) URL
// ("https://hv01:5986/wsman", taken as given but for an empty path). It
// refuses, with an *EndpointError, anything that cannot name a host, so
// that nothing odd reaches DNS, wsa:To or a terminal: credentials
// (checked first, so that they are never echoed), a query or fragment,
// bad ports, brackets around anything but an IPv6 address, names that are
// not dot-separated labels of ASCII letters, digits, '-' and '_'.
func Endpoint(host string, d EndpointDefaults) (string, error) {
	h := strings.TrimSpace(host)
	if h == "" {
		return "", &EndpointError{Problem: EndpointEmpty}
	}
	if strings.Contains(h, "@") {
		return "", &EndpointError{Problem: EndpointCredentials}
	}
	path := d.Path
	if path == "" {
		path = DefaultPath
	}
	if strings.Contains(h, "://") {
		u, err := url.Parse(h)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", &EndpointError{Problem: EndpointNotURL, Host: h}
		}
		if u.Scheme == "http" && d.HTTPS {
			return "", &EndpointError{Problem: EndpointSchemeConflict, Host: h}
		}
		if strings.ContainsAny(h, "?#") {
			return "", &EndpointError{Problem: EndpointQuery, Host: h}
		}
		if err := checkHost(h, u.Hostname(), u.Port(), strings.HasSuffix(u.Host, ":"), strings.HasPrefix(u.Host, "[")); err != nil {
			return "", err
		}
		if u.Path == "" || u.Path == "/" {
			u.Path = path
		}
		return u.String(), nil
	}
	scheme, port := "http", DefaultHTTPPort
	if d.HTTPS {
		scheme, port = "https", DefaultHTTPSPort
	}
	if d.Port != 0 {
		port = d.Port
	}
	bracketed := strings.HasPrefix(h, "[")
	name, portText, err := net.SplitHostPort(h)
	colon := err == nil
	if err != nil {
		// No port; a bare IPv6 address may still be bracketed, on both
		// sides.
		name, portText = h, ""
		if bracketed || strings.HasSuffix(h, "]") {
			inner, closed := strings.CutSuffix(strings.TrimPrefix(h, "["), "]")
			if !bracketed || !closed {
				return "", &EndpointError{Problem: EndpointUnbalanced, Host: h}
			}
			name = inner
		}
	}
	if err := checkHost(h, name, portText, colon, bracketed); err != nil {
		return "", err
	}
	if portText != "" {
		port, _ = strconv.Atoi(portText) // checkHost checked it
	}
	return (&url.URL{Scheme: scheme, Host: net.JoinHostPort(name, strconv.Itoa(port)), Path: path}).String(), nil
}

// checkHost refuses a host (given as h) whose host part cannot name a
// host; port may be empty, though not after a colon (colon), and
// brackets (bracketed) go only around an IPv6 address.
func checkHost(h, host, port string, colon, bracketed bool) error {
	if port == "" && colon {
		return &EndpointError{Problem: EndpointNoPort, Host: h}
	}
	if port != "" {
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return &EndpointError{Problem: EndpointBadPort, Host: h, Port: port}
		}
	}
	if strings.HasPrefix(host, "-") {
		return &EndpointError{Problem: EndpointFlagLike, Host: h}
	}
	if !isHostName(host) {
		return &EndpointError{Problem: EndpointBadName, Host: h}
	}
	if addr, _, hasZone := strings.Cut(host, "%"); hasZone && !linkLocal6(addr) {
		return &EndpointError{Problem: EndpointZone, Host: h}
	}
	if addr, _, _ := strings.Cut(host, "%"); bracketed && !strings.Contains(addr, ":") {
		return &EndpointError{Problem: EndpointBrackets, Host: h}
	}
	return nil
}

// linkLocal6 reports whether addr is a link-local IPv6 address, the only
// kind whose zone (the interface) means anything to a dialer.
func linkLocal6(addr string) bool {
	ip := net.ParseIP(addr)
	return ip != nil && ip.To4() == nil && (ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast())
}

// isHostName reports whether s is an IP address (an IPv6 one with an
// optional %zone) or a name of dot-separated labels of ASCII letters,
// digits, '-' and '_' (none empty, none starting or ending with '-', a
// final dot allowed): what a resolver can look up, and nothing that could
// disguise itself on a terminal or pass for a flag.
func isHostName(s string) bool {
	plain := func(s string) bool {
		for _, r := range s {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
				return false
			}
		}
		return s != "" && len(s) <= 253
	}
	if addr, zone, hasZone := strings.Cut(s, "%"); net.ParseIP(addr) != nil {
		return !hasZone || (strings.Contains(addr, ":") && plain(zone))
	}
	if !plain(s) {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
	}
	return true
}
