package wsman

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/cimjob/cimjob/cim"
)

// TestZeroConfigReplyCap: a library user who sets only the URL gets one
// reply cap, the CLI's default (cim.DefaultLimits.MaxBytes), for the bytes
// read and for the parse alike. A reply just under it is read and parsed;
// one just over it is refused as cim.ErrTooLarge.
func TestZeroConfigReplyCap(t *testing.T) {
	limit := int(cim.DefaultLimits.MaxBytes)
	head := `<s:Envelope xmlns:s="` + NSSOAP + `"><s:Body><p:Msvm_ConcreteJob xmlns:p="` + jobURI + `"><p:InstanceID>J1</p:InstanceID><p:Description>`
	tail := `</p:Description></p:Msvm_ConcreteJob></s:Body></s:Envelope>`
	for _, tc := range []struct {
		name    string
		size    int
		tooLong bool
	}{
		{"under the cap", limit - 64, false},
		{"over the cap", limit + 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				req, _ := io.ReadAll(r.Body)
				id := regexp.MustCompile(`uuid:[0-9A-F-]+`).Find(req)
				h := strings.Replace(head, "<s:Body>", `<s:Header><a:RelatesTo xmlns:a="`+NSAddressing+`">`+string(id)+`</a:RelatesTo></s:Header><s:Body>`, 1)
				w.Header().Set("Content-Type", soapContentType)
				w.Write([]byte(h + strings.Repeat("x", tc.size-len(h)-len(tail)) + tail))
			}))
			defer srv.Close()
			c, err := NewClient(Config{URL: srv.URL + "/wsman", Proxy: noProxy})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if c.Limits().MaxBytes != cim.DefaultLimits.MaxBytes {
				t.Errorf("Limits().MaxBytes = %d, want %d", c.Limits().MaxBytes, cim.DefaultLimits.MaxBytes)
			}
			_, err = c.Get(context.Background(), jobURI, Selector{Name: "InstanceID", Value: "J1"})
			switch {
			case tc.tooLong && !errors.Is(err, cim.ErrTooLarge):
				t.Fatalf("err = %v, want cim.ErrTooLarge", err)
			case !tc.tooLong && err != nil:
				t.Fatalf("a %d-byte reply under a %d-byte cap: %v", tc.size, limit, err)
			}
		})
	}
}

// TestNewClientChecks: the URL is given once and checked once, also with a
// Transport of the caller's; a cap above MaxReplyBytesLimit is refused.
func TestNewClientChecks(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"no URL", Config{Transport: &fakeService{}}},
		{"not http", Config{URL: "ftp://h/wsman", Transport: &fakeService{}}},
		{"cap over the limit", Config{URL: "http://h/wsman", Limits: cim.Limits{MaxBytes: MaxReplyBytesLimit + 1}}},
		{"basic in the clear", Config{URL: "http://h/wsman", Auth: BasicAuth{Username: "u", Password: "p"}}},
	} {
		if _, err := NewClient(tc.cfg); err == nil {
			t.Errorf("%s: NewClient accepted %+v", tc.name, tc.cfg)
		}
	}
}
