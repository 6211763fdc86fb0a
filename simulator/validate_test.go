package simulator

import (
	"net/http"
	"strings"
	"testing"
)

const (
	nsEnum  = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
	nsFault = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
)

var (
	sender   = qname{nsSOAP, "Sender"}
	receiver = qname{nsSOAP, "Receiver"}
)

// Each request-validation rule answers with Windows' fault (or HTTP status).
func TestValidationFaults(t *testing.T) {
	_, url := startSim(t, "default.json")
	base := defaultVars()
	tests := []struct {
		name      string
		file      string
		v         vars
		status    int
		code, sub qname
		wsmanCode string
		noRelates bool
	}{
		{name: "ok GetError", file: "invoke.xml", v: base, status: 200},
		{name: "ok Get", file: "get.xml", v: base.with("$ACTION", actionGet), status: 200},
		{name: "ok other prefixes and default namespaces", file: "other-prefixes.xml", v: base, status: 200},
		{name: "selector name and value case-insensitive", file: "invoke.xml",
			v: base.with("$SELNAME", "instanceid", "$ID", strings.ToLower(job01)), status: 200},
		{name: "resource URI case-insensitive", file: "invoke.xml",
			v: base.with("$RESOURCE", strings.ToLower(hvURI), "$ACTION", strings.ToLower(hvURI)+"/GetError"), status: 200},
		{name: "matching __cimnamespace", file: "invoke.xml",
			v: base.with("$EXTRASEL", `<w:Selector Name="__cimnamespace">root\virtualization\v2</w:Selector>`), status: 200},
		{name: "DMTF URI with __cimnamespace", file: "invoke.xml",
			v: base.with("$RESOURCE", dmtfPrefix+"Msvm_ConcreteJob", "$ACTION", dmtfPrefix+"Msvm_ConcreteJob/GetError",
				"$EXTRASEL", `<w:Selector Name="__cimnamespace">root/virtualization/v2</w:Selector>`), status: 200},

		{name: "missing MessageID", file: "no-messageid.xml", v: base, status: 500, code: sender,
			sub: qname{nsAddressing, "MessageInformationHeaderRequired"}, wsmanCode: "2150858769", noRelates: true},
		{name: "empty MessageID", file: "empty-messageid.xml", v: base, status: 500, code: sender,
			sub: qname{nsAddressing, "InvalidMessageInformationHeader"}, wsmanCode: "2150858767", noRelates: true},
		{name: "missing Action", file: "no-action.xml", v: base, status: 500, code: sender,
			sub: qname{nsAddressing, "MessageInformationHeaderRequired"}, wsmanCode: "2150858769"},
		{name: "MaxEnvelopeSize below 8192", file: "invoke.xml", v: base.with("$MAXENV", "8191"), status: 500, code: sender,
			sub: qname{nsWSMan, "EncodingLimit"}, wsmanCode: "2150858878"},
		{name: "MaxEnvelopeSize 8192 is fine", file: "invoke.xml", v: base.with("$MAXENV", "8192"), status: 200},
		{name: "MaxEnvelopeSize not a number", file: "invoke.xml", v: base.with("$MAXENV", "lots"), status: 500, code: sender,
			sub: qname{nsAddressing, "InvalidMessageInformationHeader"}, wsmanCode: "2150858767"},
		{name: "Locale mustUnderstand", file: "locale-mustunderstand.xml", v: base, status: 500,
			code: qname{nsSOAP, "MustUnderstand"}, wsmanCode: "2150858887"},
		{name: "DataLocale mustUnderstand unqualified", file: "datalocale-mustunderstand.xml", v: base, status: 500,
			code: qname{nsSOAP, "MustUnderstand"}, wsmanCode: "2150858887"},
		{name: "unknown action", file: "invoke.xml", v: base.with("$ACTION", "http://schemas.xmlsoap.org/ws/2004/09/transfer/Put"),
			status: 500, code: sender, sub: qname{nsAddressing, "ActionNotSupported"}, wsmanCode: "2150858771"},
		{name: "malformed XML", file: "malformed.xml", v: base, status: 500, code: sender,
			sub: qname{nsWSMan, "SchemaValidationError"}, wsmanCode: "2150858817", noRelates: true},
		{name: "DTD refused", file: "doctype.xml", v: base, status: 500, code: sender,
			sub: qname{nsWSMan, "SchemaValidationError"}, wsmanCode: "2150858817", noRelates: true},
		{name: "SOAP 1.1 envelope", file: "soap11.xml", v: base, status: 500, code: sender,
			sub: qname{nsWSMan, "SchemaValidationError"}, wsmanCode: "2150858817", noRelates: true},
		{name: "no Body", file: "no-body.xml", v: base, status: 500, code: sender,
			sub: qname{nsWSMan, "SchemaValidationError"}, wsmanCode: "2150858817", noRelates: true},
		{name: "wrong _INPUT element", file: "wrong-input.xml", v: base, status: 500, code: sender,
			sub: qname{nsWSMan, "SchemaValidationError"}, wsmanCode: "2150858817"},
		{name: "non-WMI resource URI", file: "invoke.xml",
			v:      base.with("$RESOURCE", "http://example.com/nothing", "$ACTION", "http://example.com/nothing/GetError"),
			status: 500, code: sender, sub: qname{nsAddressing, "DestinationUnreachable"}, wsmanCode: "2150858811"},
		{name: "unknown WMI namespace", file: "invoke.xml",
			v:      base.with("$RESOURCE", wmiPrefix+"root/virtualization/Msvm_ConcreteJob", "$ACTION", wmiPrefix+"root/virtualization/Msvm_ConcreteJob/GetError"),
			status: 500, code: sender, sub: qname{nsEnum, "CannotProcessFilter"}, wsmanCode: ""},
		{name: "class not on host", file: "invoke.xml",
			v:      base.with("$RESOURCE", wmiPrefix+"root/virtualization/v2/Msvm_MigrationJob", "$ACTION", wmiPrefix+"root/virtualization/v2/Msvm_MigrationJob/GetError"),
			status: 500, code: sender, sub: qname{nsEnum, "CannotProcessFilter"}, wsmanCode: "2150858778"},
		{name: "__cimnamespace not matching the URI", file: "invoke.xml",
			v:      base.with("$EXTRASEL", `<w:Selector Name="__cimnamespace">root/cimv2</w:Selector>`),
			status: 500, code: sender, sub: qname{nsWSMan, "InvalidSelectors"}, wsmanCode: "2150858843"},
		{name: "unknown selector name", file: "invoke.xml", v: base.with("$SELNAME", "Name"),
			status: 500, code: sender, sub: qname{nsWSMan, "InvalidSelectors"}, wsmanCode: "2150858843"},
		{name: "unknown InstanceID (job gone)", file: "invoke.xml", v: base.with("$ID", "00000000-0000-0000-0000-000000000000"),
			status: 500, code: sender, sub: qname{nsWSMan, "InvalidSelectors"}, wsmanCode: "2150858843"},
		{name: "unknown method", file: "invoke.xml", v: base.with("$METHOD", "KillJob", "$ACTION", hvURI+"/KillJob"),
			status: 500, code: sender, sub: qname{nsAddressing, "ActionNotSupported"}, wsmanCode: "2150858753"},
		{name: "access denied job", file: "invoke.xml", v: base.with("$ID", "5F1E2D3C-4B5A-4000-8000-000000000009"),
			status: 500, code: sender, sub: qname{nsWSMan, "AccessDenied"}, wsmanCode: "2147942405"},
		{name: "provider fault job", file: "invoke.xml", v: base.with("$ID", "5F1E2D3C-4B5A-4000-8000-000000000010"),
			status: 500, code: receiver, sub: qname{nsWSMan, "InternalError"}, wsmanCode: "2150859010"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := post(t, url, loadRequest(t, tt.file, tt.v))
			if ex.status != tt.status {
				t.Fatalf("status %d, want %d\n%s", ex.status, tt.status, ex.body)
			}
			if ct := ex.header.Get("Content-Type"); ct != soapContentType {
				t.Errorf("Content-Type %q", ct)
			}
			r := parseReply(t, ex.body)
			if r.faultCode != tt.code || r.faultSub != tt.sub {
				t.Errorf("fault %v / %v, want %v / %v", r.faultCode, r.faultSub, tt.code, tt.sub)
			}
			if r.wsmanCode != tt.wsmanCode {
				t.Errorf("WSManFault Code %q, want %q", r.wsmanCode, tt.wsmanCode)
			}
			wantRel := testMID
			if tt.noRelates {
				wantRel = ""
			}
			if r.relatesTo != wantRel {
				t.Errorf("RelatesTo %q, want %q", r.relatesTo, wantRel)
			}
			if !strings.HasPrefix(r.messageID, "uuid:") || r.messageID == "uuid:AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE" {
				t.Errorf("MessageID %q is not fresh", r.messageID)
			}
			if strings.Contains(string(ex.body), "sim-host.invalid") {
				t.Errorf("Machine placeholder left in the reply")
			}
		})
	}
}

// The invalid-namespace fault carries its code in an MSFT_WmiError, not a WSManFault.
func TestInvalidNamespaceCarriesWmiError(t *testing.T) {
	_, url := startSim(t, "legacy.json")
	ex := post(t, url, loadRequest(t, "invoke.xml", defaultVars().with("$RESOURCE", mspsURI, "$ACTION", mspsURI+"/GetError")))
	if ex.status != 500 || !strings.Contains(string(ex.body), "<p:error_Code xsi:type=\"cim:cimUnsignedInt\">2150858778</p:error_Code>") {
		t.Fatalf("status %d\n%s", ex.status, ex.body)
	}
}

func TestHTTPLevelRefusals(t *testing.T) {
	_, url := startSim(t, "default.json")
	good := loadRequest(t, "invoke.xml", defaultVars())
	tests := []struct {
		name   string
		body   []byte
		mod    func(*http.Request)
		status int
	}{
		{"GET", nil, func(r *http.Request) { r.Method = http.MethodGet }, http.StatusMethodNotAllowed},
		{"text/xml", good, func(r *http.Request) { r.Header.Set("Content-Type", "text/xml") }, http.StatusUnsupportedMediaType},
		{"no Content-Type", good, func(r *http.Request) { r.Header.Del("Content-Type") }, http.StatusUnsupportedMediaType},
		{"over MaxEnvelopeSizekb", append(good, make([]byte, 500*1024)...), nil, http.StatusRequestEntityTooLarge},
		{"over MaxEnvelopeSizekb, chunked", append(good, make([]byte, 500*1024)...), func(r *http.Request) { r.ContentLength = -1 }, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mods []func(*http.Request)
			if tt.mod != nil {
				mods = append(mods, tt.mod)
			}
			ex := post(t, url, tt.body, mods...)
			if ex.status != tt.status {
				t.Errorf("status %d, want %d", ex.status, tt.status)
			}
		})
	}
}

func TestAuth401(t *testing.T) {
	_, url := startSim(t, "default.json")
	body := loadRequest(t, "invoke.xml", defaultVars())
	tests := []struct {
		name string
		mod  func(*http.Request)
	}{
		{"no credentials", func(r *http.Request) { r.Header.Del("Authorization") }},
		{"wrong password", func(r *http.Request) { r.SetBasicAuth("demo", "nope") }},
		{"unknown user", func(r *http.Request) { r.SetBasicAuth("admin", "demo-password") }},
		{"Negotiate token not base64", func(r *http.Request) { r.Header.Set("Authorization", "Negotiate !!!") }},
		{"Negotiate token of no known mechanism", func(r *http.Request) { r.Header.Set("Authorization", "Negotiate YIIBhwYGKwYBBQUCoA==") }},
		{"Kerberos without a Kerberos acceptor", func(r *http.Request) { r.Header.Set("Authorization", "Kerberos YIIBhwYGKwYBBQUCoA==") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := post(t, url, body, tt.mod)
			if ex.status != http.StatusUnauthorized {
				t.Fatalf("status %d", ex.status)
			}
			if len(ex.body) != 0 {
				t.Errorf("401 body %q, want empty", ex.body)
			}
			got := strings.Join(ex.header.Values("WWW-Authenticate"), " | ")
			if want := `Negotiate | Kerberos | Basic realm="WSMAN"`; got != want {
				t.Errorf("WWW-Authenticate %q, want %q", got, want)
			}
		})
	}
	t.Run("user name case-insensitive", func(t *testing.T) {
		ex := post(t, url, body, func(r *http.Request) { r.SetBasicAuth("DEMO", "demo-password") })
		if ex.status != 200 {
			t.Errorf("status %d", ex.status)
		}
	})
}

// A host with Basic disabled refuses good Basic credentials and does not offer it.
func TestBasicDisabled(t *testing.T) {
	s, err := New(Options{Auth: &BasicAuthenticator{Users: map[string]string{"demo": "demo-password"}, Offer: []string{"Negotiate", "Kerberos", "CredSSP"}}})
	if err != nil {
		t.Fatal(err)
	}
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ex := post(t, url, loadRequest(t, "invoke.xml", defaultVars()))
	got := strings.Join(ex.header.Values("WWW-Authenticate"), " | ")
	if ex.status != 401 || got != "Negotiate | Kerberos | CredSSP" {
		t.Errorf("status %d, WWW-Authenticate %q", ex.status, got)
	}
	if st := s.Stats(); st.AuthFailures != 1 || st.Requests != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestIdentify(t *testing.T) {
	_, url := startSim(t, "default.json")
	body := loadRequest(t, "identify.xml", nil)
	for _, tt := range []struct {
		name string
		mod  func(*http.Request)
	}{
		{"authenticated", func(*http.Request) {}},
		{"unauthenticated with WSMANIDENTIFY", func(r *http.Request) {
			r.Header.Del("Authorization")
			r.Header.Set("WSMANIDENTIFY", "unauthenticated")
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ex := post(t, url, body, tt.mod)
			if ex.status != 200 {
				t.Fatalf("status %d", ex.status)
			}
			r := parseReply(t, ex.body)
			if r.body == nil || r.body.Tag != "IdentifyResponse" || r.body.NamespaceURI() != nsIdentity {
				t.Fatalf("reply:\n%s", ex.body)
			}
			if v := child(r.body, nsIdentity, "ProductVersion"); v == nil || v.Text() != "OS: 10.0.20348 SP: 0.0 Stack: 3.0" {
				t.Errorf("ProductVersion wrong:\n%s", ex.body)
			}
		})
	}
	t.Run("WSMANIDENTIFY does not open other requests", func(t *testing.T) {
		ex := post(t, url, loadRequest(t, "invoke.xml", defaultVars()), func(r *http.Request) {
			r.Header.Del("Authorization")
			r.Header.Set("WSMANIDENTIFY", "unauthenticated")
		})
		if ex.status != 401 {
			t.Errorf("status %d", ex.status)
		}
	})
}
