package wsman

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestEndpoint(t *testing.T) {
	tests := []struct {
		host string
		d    EndpointDefaults
		want string
		prob EndpointProblem
	}{
		{"hv01", EndpointDefaults{}, "http://hv01:5985/wsman", 0},
		{"hv01", EndpointDefaults{HTTPS: true}, "https://hv01:5986/wsman", 0},
		{"hv01", EndpointDefaults{Port: 8080, Path: "/wsman2"}, "http://hv01:8080/wsman2", 0},
		{"hv01:5999", EndpointDefaults{Port: 8080}, "http://hv01:5999/wsman", 0},
		{"https://hv01", EndpointDefaults{Path: "/x"}, "https://hv01/x", 0},
		{"https://hv01/wsman", EndpointDefaults{Path: "/x"}, "https://hv01/wsman", 0},
		{"[::1]:5985", EndpointDefaults{}, "http://[::1]:5985/wsman", 0},
		{"  hv01  ", EndpointDefaults{}, "http://hv01:5985/wsman", 0},
		{"", EndpointDefaults{}, "", EndpointEmpty},
		{"u:secret@hv01", EndpointDefaults{}, "", EndpointCredentials},
		{"http://u:secret@hv01/", EndpointDefaults{}, "", EndpointCredentials},
		{"ftp://hv01", EndpointDefaults{}, "", EndpointNotURL},
		{"http://hv01", EndpointDefaults{HTTPS: true}, "", EndpointSchemeConflict},
		{"http://hv01/wsman?a=b", EndpointDefaults{}, "", EndpointQuery},
		{"hv01:", EndpointDefaults{}, "", EndpointNoPort},
		{"hv01:0", EndpointDefaults{}, "", EndpointBadPort},
		{"-h", EndpointDefaults{}, "", EndpointFlagLike},
		{"hv01\u202e", EndpointDefaults{}, "", EndpointBadName},
		{"[fe80::1", EndpointDefaults{}, "", EndpointUnbalanced},
		{"[10.0.0.5]", EndpointDefaults{}, "", EndpointBrackets},
		{"[fe80::1%eth0]:5985", EndpointDefaults{}, "http://[fe80::1%25eth0]:5985/wsman", 0},
		{"fe80::1%eth0", EndpointDefaults{}, "http://[fe80::1%25eth0]:5985/wsman", 0},
		// Go dials an IPv4-mapped address whatever its zone: the zone
		// would be free text an allow-list pattern could match.
		{"::ffff:10.0.0.5%x.corp.example", EndpointDefaults{}, "", EndpointZone},
		{"[::ffff:10.0.0.5%eth0]:5985", EndpointDefaults{}, "", EndpointZone},
		{"http://[::ffff:10.0.0.5%25eth0]:5985/wsman", EndpointDefaults{}, "", EndpointZone},
		{"[2001:db8::1%eth0]", EndpointDefaults{}, "", EndpointZone},
	}
	for _, tt := range tests {
		got, err := Endpoint(tt.host, tt.d)
		var ee *EndpointError
		var prob EndpointProblem
		if errors.As(err, &ee) {
			prob = ee.Problem
		} else if err != nil {
			t.Errorf("Endpoint(%q): %T %v, want an *EndpointError", tt.host, err, err)
		}
		if got != tt.want || prob != tt.prob {
			t.Errorf("Endpoint(%q, %+v) = %q, problem %d; want %q, problem %d", tt.host, tt.d, got, prob, tt.want, tt.prob)
		}
		if prob == EndpointCredentials && strings.Contains(ee.Message("target"), "secret") {
			t.Errorf("Endpoint(%q): the refusal echoes the password: %s", tt.host, ee.Message("target"))
		}
	}
}

// FuzzEndpoint: no input panics; what is accepted is an http(s) URL with
// a host and no user info, query or fragment; what is refused is an
// *EndpointError whose message is one line and never echoes an '@' part.
func FuzzEndpoint(f *testing.F) {
	for _, s := range []string{"hv01", "hv01:5985", "[::1]:5985", "https://hv01:5986/wsman", "u:p@hv01", "[fe80::1%eth0]", "http://[::1", "hv01:", "-x", "\x00"} {
		f.Add(s, false, 0)
	}
	f.Fuzz(func(t *testing.T, host string, https bool, port int) {
		got, err := Endpoint(host, EndpointDefaults{HTTPS: https, Port: port&0xffff + 1})
		if err != nil {
			var ee *EndpointError
			if !errors.As(err, &ee) {
				t.Fatalf("Endpoint(%q): %T, want *EndpointError", host, err)
			}
			msg := ee.Message("target")
			if strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("Endpoint(%q): refusal of more than one line: %q", host, msg)
			}
			if strings.Contains(host, "@") && ee.Problem != EndpointCredentials {
				t.Fatalf("Endpoint(%q): an '@' refused as %d", host, ee.Problem)
			}
			return
		}
		u, perr := url.Parse(got)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("Endpoint(%q) = %q: not a clean http(s) URL", host, got)
		}
	})
}
