package exporter

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// noNetConfig has two modules whose allow-lists admit no target, so that
// a well-formed request is refused with 403 before any connection.
func noNetConfig(t testing.TB, hypervTargets string) *Config {
	t.Helper()
	y := "modules:\n" +
		"  hyperv:\n    username: u\n    password_env: PW\n    targets: ['" + hypervTargets + "']\n" +
		"  msps:\n    profile: msps\n    username: u\n    password_env: PW\n    targets: ['never\\.example']\n"
	cfg, err := ParseConfig([]byte(y), "", env(map[string]string{"PW": "pw-not-shown"}))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestBadRequests(t *testing.T) {
	e := New(noNetConfig(t, `hv[0-9]+\.corp\.example`), Options{})
	defer e.Close()
	tests := []struct {
		query string
		code  int
		want  string
	}{
		{"target=hv01", 400, "no module: give module=NAME, one of: hyperv, msps"},
		{"module=vmware&target=hv01", 400, `unknown module "vmware"`},
		{"module=" + strings.Repeat("x", 100) + "&target=hv01", 400, "unknown module: give"},
		{"module=%00&target=hv01", 400, "unknown module: give"},
		{"module=hyperv", 400, "no target"},
		{"module=hyperv&target=", 400, "no target"},
		{"module=hyperv&target=u:pw@hv01", 400, "must not carry a user name or password"},
		{"module=hyperv&target=" + url.QueryEscape("http://u:pw@hv01/wsman"), 400, "must not carry"},
		{"module=hyperv&target=hv01:99999", 400, "bad port"},
		{"module=hyperv&target=" + url.QueryEscape("http://hv01/wsman?x=1"), 400, "no query or fragment"},
		{"module=hyperv&target=" + url.QueryEscape("hv01\nX-Injected: 1"), 400, "bad port"},
		{"module=hyperv&target=" + url.QueryEscape("hv\x0001"), 400, "not a host name"},
		{"module=hyperv&target=" + url.QueryEscape(" hv01.other.example\n"), 403, `target "hv01.other.example" is not`},
		{"module=hyperv&target=" + strings.Repeat("a", 2000), 400, "longer than"},
		{"module=hyperv&target=-h", 400, "looks like a flag"},
		{"module=hyperv&target=hv01.other.example", 403, "not on the allow-list (targets) of module hyperv"},
		{"module=hyperv&target=hv01.corp.example.evil", 403, "allow-list"}, // anchored
		{"module=msps&target=hv01.corp.example", 403, "allow-list"},
		{"%zz=1&;;&target=hv01&module=hyperv", 403, "allow-list"},
	}
	for _, tt := range tests {
		r := scrape(t, e, tt.query, "")
		if r.code != tt.code || !strings.Contains(r.body, tt.want) {
			t.Errorf("%q: %d %q; want %d with %q", tt.query, r.code, r.body, tt.code, tt.want)
		}
		if strings.Count(r.body, "\n") != 1 || !strings.HasSuffix(r.body, "\n") {
			t.Errorf("%q: body is not one line: %q", tt.query, r.body)
		}
		if strings.Contains(r.body, "pw-not-shown") || strings.Contains(r.body, "u:pw") {
			t.Errorf("%q: body shows a secret: %q", tt.query, r.body)
		}
	}
}

// FuzzProbeRequest: no query string panics the handler; the answers are
// 400 or 403 (no target is allowed, so none is probed), in one line.
func FuzzProbeRequest(f *testing.F) {
	for _, s := range []string{"module=hyperv&target=hv01", "target=%5B%3A%3A1%5D%3A5985", "module=hyperv&target=https%3A%2F%2Fhv01%3A5986%2Fwsman", "module=msps&target=a&target=b", "%", "module=hyperv&target=hv01.corp.example"} {
		f.Add(s)
	}
	e := New(noNetConfig(f, `[^\s\S]`), Options{})
	f.Cleanup(func() { e.Close() })
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/probe", nil)
		req.URL.RawQuery = query
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != 400 && rec.Code != 403 {
			t.Fatalf("%q: status %d", query, rec.Code)
		}
		if b := rec.Body.String(); strings.Count(b, "\n") != 1 {
			t.Fatalf("%q: body not one line: %q", query, b)
		}
	})
}

// FuzzTargetURL: no target panics targetURL; an accepted one is an
// http(s) URL without user info, query or fragment; a refusal is one line
// that never echoes a target with an '@' (nor an overlong one).
func FuzzTargetURL(f *testing.F) {
	for _, s := range []string{"hv01.corp.example", "hv01:5985", "[::1]:5985", "https://hv01:5986/wsman", "u:secret@hv01", "http://u:secret@[::1", "[\n0"} {
		f.Add(s)
	}
	m := noNetConfig(f, "x").Modules["hyperv"]
	f.Fuzz(func(t *testing.T, target string) {
		got, err := targetURL(target, m)
		if err != nil {
			msg := err.Error()
			if len(target) > maxTargetLen && strings.Contains(msg, target) {
				t.Fatalf("overlong target echoed in its refusal: %q", msg)
			}
			if strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("%q: refusal of more than one line: %q", target, msg)
			}
			// An overlong target is refused for its length first, without
			// being echoed; any other with an '@' for its user info.
			if strings.Contains(target, "@") && len(target) <= maxTargetLen && !strings.HasPrefix(msg, "target must not carry a user name or password:") {
				t.Fatalf("%q: a target with '@' refused otherwise, perhaps echoing it: %q", target, msg)
			}
			return
		}
		u, perr := url.Parse(got)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("%q: accepted as %q", target, got)
		}
	})
}

// A Config not built by LoadConfig or ParseConfig has no resolved
// credentials: its modules are refused, not probed without them.
func TestUnloadedModule(t *testing.T) {
	e := New(&Config{Modules: map[string]*Module{"hv": {Username: "u"}}}, Options{})
	defer e.Close()
	r := scrape(t, e, "target=hv01", "")
	if r.code != http.StatusInternalServerError || !strings.Contains(r.body, "LoadConfig or ParseConfig") {
		t.Errorf("%d %q", r.code, r.body)
	}
	e.SetConfig(nil)
	if r := scrape(t, e, "target=hv01", ""); r.code != http.StatusBadRequest || !strings.Contains(r.body, "(none configured)") {
		t.Errorf("nil config: %d %q", r.code, r.body)
	}
}
