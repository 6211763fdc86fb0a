package wsman

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

// hostileText holds what a host must not get to a terminal through the
// debug log: ESC sequences, C1 controls, bidi overrides and isolates, and
// bytes that are not UTF-8.
var hostileText = []string{"\x1b", "\u009b", "\u0085", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\x07"}

func checkTerminalSafe(t *testing.T, out string) {
	t.Helper()
	for _, s := range hostileText {
		if i := strings.Index(out, s); i >= 0 {
			t.Errorf("debug output carries %q: ...%q...", s, out[max(0, i-40):min(len(out), i+40)])
		}
	}
	if !utf8.ValidString(out) {
		t.Errorf("debug output is not UTF-8")
	}
}

// Everything the debug log shows that came from the host is cleaned: the
// status text, header names and values, and the body.
func TestDebugSanitizesHostText(t *testing.T) {
	body := soapOK[:len(soapOK)-len("</s:Envelope>")] + "<!-- \x1b]0;owned\x07\x1b[2J \u009b31m \u202eevil\u2066\u2069 -->\n</s:Envelope>"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hj, _ := w.(http.Hijacker)
		conn, buf, _ := hj.Hijack()
		defer conn.Close()
		buf.WriteString("HTTP/1.1 200 OK \u202eKO\r\n")
		buf.WriteString("Content-Type: " + soapContentType + "\r\n")
		buf.WriteString("X-Note: a\u202eb\u2066c\u0085d\xff\r\n")
		buf.WriteString("Www-Authenticate: Basic realm=\"\u202eWSMAN\"\r\n")
		buf.WriteString("Content-Length: " + itoa(len(body)) + "\r\n\r\n" + body)
		buf.Flush()
	}))
	defer srv.Close()
	var log bytes.Buffer
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/wsman", strings.NewReader("<env/>"))
	resp, err := newDebugTransport(http.DefaultTransport, &log).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != body {
		t.Errorf("the reader got %q, want the body untouched", got)
	}
	out := log.String()
	checkTerminalSafe(t, out)
	if !strings.Contains(out, "evil") || !strings.Contains(out, "X-Note: a\uFFFDb\uFFFDc\uFFFDd\uFFFD") {
		t.Errorf("debug output lost the text around what it cleaned:\n%q", out)
	}
}

// The body shapes writeBody handles: whole, cut at debugBodyMax (which may
// cut a rune and so may be shown although not valid UTF-8 as a whole).
func TestDebugBodySanitized(t *testing.T) {
	evil := "\x1b[31m\u009b\u202e\u2066\xff"
	cut := strings.Repeat("a", debugBodyMax-len(evil)) + evil + strings.Repeat("b", 100)
	for name, data := range map[string]string{"whole": "<x>" + evil + "</x>", "whole UTF-8": "<x>" + evil[:len(evil)-1] + "</x>", "cut": cut} {
		t.Run(name, func(t *testing.T) {
			var b strings.Builder
			writeBody(&b, soapContentType, []byte(data))
			checkTerminalSafe(t, b.String())
		})
	}
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
