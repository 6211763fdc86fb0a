package simulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/beevik/etree"
)

// Scenario describes one simulated host: a file in fixtures/scenarios.
type Scenario struct {
	Description string `json:"description"`
	// Host is the machine name the host reports in WSManFault details.
	Host string `json:"host"`
	// Users maps Basic user names to passwords.
	Users map[string]string `json:"users"`
	// AuthSchemes are the schemes the host has enabled, in the order a 401
	// offers them: "Negotiate" (NTLM here, Kerberos through
	// Options.NewAcceptor), "Kerberos", "CredSSP" (offered, never
	// accepted), "Basic", and "Certificate" (client certificates over
	// HTTPS; never named in a 401). Empty means Basic only.
	AuthSchemes []string `json:"authSchemes"`
	// AllowUnencrypted mirrors winrm/config/service AllowUnencrypted. When
	// false, as on a Windows host out of the box, a plain message on HTTP
	// after Negotiate/Kerberos authentication is refused (HTTP 500), and
	// Basic is neither offered nor accepted on HTTP.
	AllowUnencrypted bool `json:"allowUnencrypted"`
	// Domain is the NetBIOS domain the host names in NTLM challenges;
	// empty means the host's own name, as on a workgroup host whose users
	// are local accounts.
	Domain string `json:"domain,omitempty"`
	// CbtHardeningLevel mirrors winrm/config/service/auth
	// CbtHardeningLevel: "Strict" requires NTLM channel bindings (EPA) that
	// match the served certificate over HTTPS; "Relaxed" (the default) and
	// "None" do not check them.
	CbtHardeningLevel string `json:"cbtHardeningLevel,omitempty"`
	// NTLMNoTimestamp models a host older than Windows Server 2008, whose
	// NTLM challenge carries no MsvAvTimestamp (so clients send no MIC).
	NTLMNoTimestamp bool `json:"ntlmNoTimestamp,omitempty"`
	// CertMappings map client certificates to users, as the entries of
	// winrm/config/service/certmapping do.
	CertMappings []CertMapping `json:"certMappings,omitempty"`
	// HTTPSOnly is set for a host with no HTTP listener: Start refuses it
	// and only StartTLS serves it.
	HTTPSOnly bool `json:"httpsOnly,omitempty"`
	// MaxEnvelopeSizeKB bounds request bodies; larger ones get HTTP 413.
	MaxEnvelopeSizeKB int `json:"maxEnvelopeSizeKB"`
	// GetErrorEx is false for older hosts whose Msvm_ConcreteJob lacks it.
	GetErrorEx bool `json:"getErrorEx"`
	// Namespaces are the WMI namespaces present ("root/virtualization/v2").
	Namespaces []string `json:"namespaces"`
	// MissingInstanceFault is the reply for an InstanceID no job has.
	MissingInstanceFault string    `json:"missingInstanceFault"`
	Jobs                 []JobSpec `json:"jobs"`
	// Generate, if set, gives the host generated jobs instead of Jobs.
	Generate *GenerateSpec `json:"generate,omitempty"`
}

// JobSpec is one job of a scenario. Fixture paths are relative to responses/.
type JobSpec struct {
	Namespace  string `json:"namespace"`
	Class      string `json:"class"`
	InstanceID string `json:"instanceID"`
	// Title is one line for listings (`cimjob demo`, cimjob-sim).
	Title string `json:"title"`
	// Get is the reply to a WS-Transfer Get of the job.
	Get string `json:"get"`
	// Methods maps a method name to its reply; a fault fixture makes the
	// call fault.
	Methods map[string]string `json:"methods"`
	// Inject names a misbehaviour applied to every request for this job:
	// one of the Inject* constants.
	Inject string `json:"inject,omitempty"`
}

// Misbehaviours a job can be given in a scenario.
const (
	InjectHang           = "hang"             // never answer until the client gives up or the server closes
	InjectTruncate       = "truncate"         // half of the reply, then close the connection
	InjectHuge           = "huge"             // stream 256 MiB of valid-looking XML
	InjectEntityBomb     = "entity-bomb"      // a DTD with nested entities (billion laughs)
	InjectDrop           = "drop"             // close the connection without a reply
	InjectMalformed      = "malformed"        // a reply that is not well-formed XML
	InjectWrongRelatesTo = "wrong-relatesto"  // RelatesTo names a message never sent
	Inject503ThenOK      = "http-503-then-ok" // HTTP 503 for the first request, then normal replies
	InjectAttrFlood      = "attr-flood"       // ~4 MB: 350k attributes on the Envelope, its header prefix declared last, 65k headers in it
)

var injectKinds = map[string]bool{
	InjectHang: true, InjectTruncate: true, InjectHuge: true, InjectEntityBomb: true,
	InjectDrop: true, InjectMalformed: true, InjectWrongRelatesTo: true, Inject503ThenOK: true,
	InjectAttrFlood: true,
}

// Fixtures the simulator answers request-validation failures with.
const (
	faultInvalidSelectors   = "faults/invalid-selectors.xml"
	faultAccessDenied       = "faults/access-denied.xml"
	faultClassNotFound      = "faults/class-not-found.xml"
	faultInvalidNamespace   = "faults/invalid-namespace.xml"
	faultMissingHeader      = "faults/missing-messageid.xml"
	faultInvalidHeader      = "faults/invalid-header.xml"
	faultEnvelopeTooSmall   = "faults/envelope-too-small.xml"
	faultLocaleMust         = "faults/locale-mustunderstand.xml"
	faultActionNotSupported = "faults/action-not-supported.xml"
	faultMethodNotFound     = "faults/method-not-found.xml"
	faultMalformed          = "faults/malformed-request.xml"
	faultInvalidResourceURI = "faults/invalid-resource-uri.xml"
	faultTimedOut           = "faults/timed-out.xml"
	identifyReply           = "identify.xml"
)

var builtinFixtures = []string{
	faultInvalidSelectors, faultAccessDenied, faultClassNotFound, faultInvalidNamespace,
	faultMissingHeader, faultInvalidHeader, faultEnvelopeTooSmall, faultLocaleMust,
	faultActionNotSupported, faultMethodNotFound, faultMalformed, faultInvalidResourceURI,
	identifyReply,
	faultInvalidEnumContext, faultCannotProcess, faultDialectUnavailable, faultEncodingLimit,
	faultTooManyOperations, faultExpiresUnsupported, faultTimedOut,
}

// ScenarioError reports a scenario file that cannot be used.
type ScenarioError struct {
	Name   string
	Reason string
	Err    error
}

func (e *ScenarioError) Error() string {
	s := "simulator: scenario " + e.Name + ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *ScenarioError) Unwrap() error { return e.Err }

// maxFixtureSize bounds scenario and fixture files: they are ours, but a
// --fixtures directory may hold anything.
const maxFixtureSize = 4 << 20

// LoadScenario reads scenarios/<name> from fsys and checks it.
func LoadScenario(fsys fs.FS, name string) (*Scenario, error) {
	data, err := readBounded(fsys, path.Join("scenarios", name))
	if err != nil {
		return nil, &ScenarioError{Name: name, Reason: "cannot read", Err: err}
	}
	var sc Scenario
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		return nil, &ScenarioError{Name: name, Reason: "bad JSON", Err: err}
	}
	if sc.Host == "" {
		return nil, &ScenarioError{Name: name, Reason: "no host"}
	}
	if sc.MaxEnvelopeSizeKB <= 0 {
		sc.MaxEnvelopeSizeKB = 500 // Windows' default MaxEnvelopeSizekb
	}
	if err := checkAuth(&sc); err != nil {
		return nil, &ScenarioError{Name: name, Reason: err.Error()}
	}
	if sc.MissingInstanceFault == "" {
		sc.MissingInstanceFault = faultInvalidSelectors
	}
	seen := map[string]bool{}
	for i, j := range sc.Jobs {
		if j.Namespace == "" || j.Class == "" || j.InstanceID == "" || j.Get == "" {
			return nil, &ScenarioError{Name: name, Reason: fmt.Sprintf("job %d: namespace, class, instanceID and get are required", i)}
		}
		if j.Inject != "" && !injectKinds[j.Inject] {
			return nil, &ScenarioError{Name: name, Reason: fmt.Sprintf("job %s: unknown inject %q", j.InstanceID, j.Inject)}
		}
		k := jobKey(j.Namespace, j.Class, j.InstanceID)
		if seen[k] {
			return nil, &ScenarioError{Name: name, Reason: "duplicate job " + j.InstanceID}
		}
		seen[k] = true
		if !hasFold(sc.Namespaces, normNamespace(j.Namespace)) {
			return nil, &ScenarioError{Name: name, Reason: fmt.Sprintf("job %s: namespace %s is not in namespaces", j.InstanceID, j.Namespace)}
		}
	}
	return &sc, nil
}

// loadScenarioFixtures loads a scenario and every fixture it needs.
func loadScenarioFixtures(fsys fs.FS, name string) (*Scenario, map[string]*fixture, error) {
	sc, err := LoadScenario(fsys, name)
	if err != nil {
		return nil, nil, err
	}
	fx, err := loadFixtures(fsys, sc, name)
	if err != nil {
		return nil, nil, err
	}
	return sc, fx, nil
}

// fixture is one reply file, checked once at load time.
type fixture struct {
	data  []byte
	fault bool
}

// loadFixtures reads and checks every fixture the scenario and the server
// need, so that a broken file fails New rather than a request.
func loadFixtures(fsys fs.FS, sc *Scenario, name string) (map[string]*fixture, error) {
	names := append([]string{sc.MissingInstanceFault}, builtinFixtures...)
	for _, j := range sc.Jobs {
		names = append(names, j.Get)
		for _, m := range j.Methods {
			names = append(names, m)
		}
	}
	out := map[string]*fixture{}
	for _, n := range names {
		if out[n] != nil {
			continue
		}
		data, err := readBounded(fsys, path.Join("responses", n))
		if err != nil {
			return nil, &ScenarioError{Name: name, Reason: "fixture " + n, Err: err}
		}
		isFault, err := classify(data)
		if err != nil {
			return nil, &ScenarioError{Name: name, Reason: "fixture " + n, Err: err}
		}
		out[n] = &fixture{data: data, fault: isFault}
	}
	return out, nil
}

// classify checks that data is a SOAP 1.2 envelope and reports whether its
// body is a fault.
func classify(data []byte) (bool, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		return false, err
	}
	root := doc.Root()
	if root == nil || root.Tag != "Envelope" || root.NamespaceURI() != nsSOAP {
		return false, fmt.Errorf("not a SOAP 1.2 envelope")
	}
	body := child(root, nsSOAP, "Body")
	if body == nil {
		return false, fmt.Errorf("no s:Body")
	}
	return child(body, nsSOAP, "Fault") != nil, nil
}

func readBounded(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(f, maxFixtureSize+1))
	if err != nil {
		return nil, err
	}
	if n > maxFixtureSize {
		return nil, fmt.Errorf("larger than %d bytes", maxFixtureSize)
	}
	return buf.Bytes(), nil
}

func jobKey(ns, class, id string) string {
	return strings.ToLower(normNamespace(ns) + "|" + class + "|" + id)
}

// normNamespace turns "root\\virtualization\\v2" or "/root/virtualization/v2/"
// into "root/virtualization/v2".
func normNamespace(ns string) string {
	return strings.Trim(strings.ReplaceAll(ns, `\`, "/"), "/")
}

func hasFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(normNamespace(x), s) {
			return true
		}
	}
	return false
}
