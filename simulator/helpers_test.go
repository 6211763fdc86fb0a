package simulator

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

const (
	hvURI   = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/Msvm_ConcreteJob"
	mspsURI = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/msps/Msps_ProvisioningJob"
	job01   = "5F1E2D3C-4B5A-4000-8000-000000000001"
	testMID = "uuid:0DDBA11C-0FFE-4E55-8A5E-BA5EBA11F00D"
)

// startSim starts a loopback simulator for one test.
func startSim(t *testing.T, scenario string) (*Server, string) {
	t.Helper()
	return startSimWith(t, Options{Scenario: scenario, Logf: t.Logf})
}

// startSimWith starts a loopback HTTP simulator with opt for one test.
func startSimWith(t *testing.T, opt Options) (*Server, string) {
	t.Helper()
	s, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, url
}

// vars fill the request templates in testdata/requests.
type vars map[string]string

func defaultVars() vars {
	return vars{
		"$MESSAGEID": testMID,
		"$RESOURCE":  hvURI,
		"$METHOD":    "GetError",
		"$ACTION":    hvURI + "/GetError",
		"$SELNAME":   "InstanceID",
		"$ID":        job01,
		"$EXTRASEL":  "",
		"$MAXENV":    "153600",
	}
}

func (v vars) with(kv ...string) vars {
	out := vars{}
	for k, x := range v {
		out[k] = x
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func loadRequest(t *testing.T, file string, v vars) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/requests/" + file)
	if err != nil {
		t.Fatal(err)
	}
	var pairs []string
	for k, x := range v {
		pairs = append(pairs, k, x)
	}
	return []byte(strings.NewReplacer(pairs...).Replace(string(data)))
}

type exchange struct {
	status int
	header http.Header
	body   []byte
}

// post sends body with the demo credentials; it fails the test on a
// transport error.
func post(t *testing.T, url string, body []byte, mod ...func(*http.Request)) exchange {
	t.Helper()
	resp, err := send(context.Background(), url, body, mod...)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		t.Fatal(err)
	}
	return exchange{resp.StatusCode, resp.Header, data}
}

func send(ctx context.Context, url string, body []byte, mod ...func(*http.Request)) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	req.SetBasicAuth("demo", "demo-password")
	for _, m := range mod {
		m(req)
	}
	// A fresh transport per call keeps tests from sharing connections that a
	// misbehaving job has broken.
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	return (&http.Client{Transport: tr}).Do(req)
}

// qname is a QName resolved to its namespace URI.
type qname struct{ space, local string }

// reply is the part of a reply envelope the tests look at.
type reply struct {
	action, messageID, relatesTo string
	faultCode, faultSub          qname
	wsmanCode                    string
	body                         *etree.Element
}

func parseReply(t *testing.T, data []byte) reply {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		t.Fatalf("reply is not XML: %v\n%s", err, data)
	}
	env := doc.Root()
	if env == nil || env.Tag != "Envelope" || env.NamespaceURI() != nsSOAP {
		t.Fatalf("reply is not a SOAP 1.2 envelope:\n%s", data)
	}
	var r reply
	if h := child(env, nsSOAP, "Header"); h != nil {
		if el := child(h, nsAddressing, "Action"); el != nil {
			r.action = el.Text()
		}
		if el := child(h, nsAddressing, "MessageID"); el != nil {
			r.messageID = el.Text()
		}
		if el := child(h, nsAddressing, "RelatesTo"); el != nil {
			r.relatesTo = el.Text()
		}
	}
	b := child(env, nsSOAP, "Body")
	if b == nil {
		t.Fatalf("no Body:\n%s", data)
	}
	r.body = firstChild(b)
	if f := child(b, nsSOAP, "Fault"); f != nil {
		if c := child(f, nsSOAP, "Code"); c != nil {
			if v := child(c, nsSOAP, "Value"); v != nil {
				r.faultCode = resolveQName(v)
			}
			if sc := child(c, nsSOAP, "Subcode"); sc != nil {
				if v := child(sc, nsSOAP, "Value"); v != nil {
					r.faultSub = resolveQName(v)
				}
			}
		}
		if d := child(f, nsSOAP, "Detail"); d != nil {
			if wf := child(d, "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault", "WSManFault"); wf != nil {
				r.wsmanCode = wf.SelectAttrValue("Code", "")
			}
		}
	}
	return r
}

// resolveQName resolves the prefix of a QName in el's text against the
// namespace declarations in scope.
func resolveQName(el *etree.Element) qname {
	text := strings.TrimSpace(el.Text())
	prefix, local, ok := strings.Cut(text, ":")
	if !ok {
		prefix, local = "", text
	}
	for e := el; e != nil; e = e.Parent() {
		for _, a := range e.Attr {
			if (prefix == "" && a.Space == "" && a.Key == "xmlns") || (a.Space == "xmlns" && a.Key == prefix) {
				return qname{a.Value, local}
			}
		}
	}
	return qname{"?" + prefix, local}
}
