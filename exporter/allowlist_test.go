package exporter

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
)

// A scraper cannot make the exporter send a module's credentials to a
// host the allow-list does not name, by hiding the allowed text in a URL's
// path or in an IPv6 zone (Go dials an IPv4-mapped address whatever its
// zone). The pattern is the kind an operator writes for "any host of the
// domain".
func TestAllowListNotFooledByPathOrZone(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	y := fmt.Sprintf("modules:\n  hyperv:\n    username: u\n    password_env: PW\n    port: %s\n    targets: ['.*\\.corp\\.example']\n"+
		"  url:\n    username: u\n    password_env: PW\n    targets: ['%s']\n", u.Port(), regexp.QuoteMeta(srv.URL+"/wsman"))
	cfg, err := ParseConfig([]byte(y), "", env(map[string]string{"PW": "pw-not-shown"}))
	if err != nil {
		t.Fatal(err)
	}
	e := New(cfg, Options{})
	defer e.Close()
	for _, target := range []string{
		srv.URL + "/x.corp.example",
		srv.URL + "/wsman/.corp.example",
		"::ffff:127.0.0.1%x.corp.example",
		"[::ffff:127.0.0.1%x.corp.example]",
		"http://[::ffff:127.0.0.1%25x.corp.example]:" + u.Port() + "/wsman",
	} {
		r := scrape(t, e, "module=hyperv&target="+url.QueryEscape(target), "")
		if r.code != http.StatusForbidden && r.code != http.StatusBadRequest {
			t.Errorf("%q: %d, want 403 or 400:\n%s", target, r.code, r.body)
		}
		if strings.Contains(r.body, "pw-not-shown") {
			t.Errorf("%q: body shows the password", target)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the host off the allow-list got %d requests", n)
	}
	// A URL target with the module's path stays allowed when listed.
	if r := scrape(t, e, "module=url&target="+url.QueryEscape(srv.URL+"/wsman"), ""); r.code != http.StatusOK || hits.Load() == 0 {
		t.Errorf("a listed URL target: %d, %d requests:\n%s", r.code, hits.Load(), r.body)
	}
}
