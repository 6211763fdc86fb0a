package simulator

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cimjob/cimjob/fixtures"
)

// Options configure a Server. The zero value serves default.json from the
// embedded fixtures with Basic authentication of its users.
type Options struct {
	// FS holds responses/ and scenarios/; nil means fixtures.FS.
	FS fs.FS
	// Scenario is a file name in scenarios/; "" means "default.json".
	Scenario string
	// Auth, if set, replaces the host's own authentication (plain
	// messages only). Nil means the scenario's: its authSchemes, users,
	// allowUnencrypted and certMappings, with NTLM (and NewAcceptor's
	// mechanisms) handshakes per connection and sealed messages.
	Auth Authenticator
	// NewAcceptor, if set, starts Negotiate/Kerberos handshakes before the
	// built-in NTLM acceptor is tried: Kerberos plugs in here.
	NewAcceptor AcceptorFactory
	// TLSCertificate, if set, is what StartTLS serves; nil makes one at
	// StartTLS (see StartTLS).
	TLSCertificate *tls.Certificate
	// ClientCAs are the CAs whose client certificates StartTLS accepts
	// for certificate mapping (scenarios enabling "Certificate").
	ClientCAs []*x509.Certificate
	// EnumerationTimeout is how long an unused enumeration context lives;
	// 0 means DefaultEnumerationTimeout.
	EnumerationTimeout time.Duration
	// MaxEnumerations bounds the open enumeration contexts; 0 means
	// DefaultMaxEnumerations.
	MaxEnumerations int
	// Jobs, if not 0, replaces the scenario's jobs with that many
	// generated ones (see GenerateOptions); Seed and Profiles shape them.
	Jobs int
	// Seed makes generated jobs differ; the same seed gives the same jobs.
	Seed uint64
	// Profiles are the job classes generated: "hyperv" (Msvm_ConcreteJob
	// and its subclass Msvm_MigrationJob), "msps", "cim"; empty means all.
	Profiles []string
	// Logf, if set, receives one line per request. It is not called
	// once Close has returned, so a test may pass t.Logf.
	Logf func(format string, args ...any)
}

// Job describes one job the simulated host holds.
type Job struct {
	// Profile is "hyperv" for Msvm_ConcreteJob, "msps" for
	// Msps_ProvisioningJob and "cim" for anything else.
	Profile     string
	Namespace   string
	Class       string
	InstanceID  string
	Title       string
	ResourceURI string
	// Inject is the job's misbehaviour, if any.
	Inject string
}

// Stats count what the server has seen.
type Stats struct {
	Requests     int // HTTP requests, handshake legs included
	Faults       int // SOAP faults sent (HTTP 500)
	AuthFailures int // 401s refusing a request (not the legs of a handshake)
	Rejected     int // other HTTP-level refusals: 400, 404, 405, 413, 415
	Injected     int // requests answered with a misbehaviour
	// Connections counts TCP connections accepted (with Start, StartTLS or
	// ConnContext installed).
	Connections int
	// Handshakes counts security contexts established, HandshakesFailed
	// handshakes refused (wrong password, bad channel bindings, ...).
	Handshakes       int
	HandshakesFailed int
	// Sealed counts sealed requests unsealed (one per call in a sealed
	// exchange).
	Sealed int
	// Unencrypted counts plain messages refused on HTTP because the host
	// has AllowUnencrypted=false.
	Unencrypted int
	// Actions counts requests by wsa:Action; Identify counts as "Identify".
	Actions map[string]int
	// Conns has one entry per connection, in the order accepted.
	Conns []ConnStats
}

// Server is a simulated Windows WS-Management host. It implements
// http.Handler and serves any path it is mounted on as /wsman would be.
type Server struct {
	sc       *Scenario
	name     string
	fixtures map[string]*fixture
	jobs     map[string]*JobSpec
	auth     Authenticator // nil: the scenario's own authentication
	newAcc   AcceptorFactory
	logf     func(string, ...any)

	// logMu orders log lines against Close: http.Server.Close does not
	// wait for connection goroutines, which may still report an error.
	logMu  sync.Mutex
	logOff bool

	tlsGiven  *tls.Certificate
	clientCAs []*x509.Certificate

	// Enumeration: the instances of the scenario's jobs (static) or a
	// generator of jobs (gen), and the open contexts.
	static  []*instance
	gen     *generator
	enum    enumState
	enumTTL time.Duration
	enumMax int
	now     func() time.Time // nil: time.Now; tests set it
	// hostHook, if set, sees every request first and may answer it (a
	// fleet's per-host latency, hangs, drops and failures).
	hostHook func(http.ResponseWriter, *http.Request) bool

	mu      sync.Mutex
	stats   Stats
	seen503 map[string]bool
	httpSrv *http.Server
	conns   []*connState
	live    map[net.Conn]*connState
	nconn   int
	tlsCert *tls.Certificate // served by StartTLS
	trust   []byte           // PEM a client trusts to reach StartTLS

	done      chan struct{}
	closeOnce sync.Once
}

// New loads the scenario and its fixtures and returns a server that is not
// yet listening.
func New(opt Options) (*Server, error) {
	fsys := opt.FS
	if fsys == nil {
		fsys = fixtures.FS
	}
	name := opt.Scenario
	if name == "" {
		name = "default.json"
	}
	sc, fx, err := loadScenarioFixtures(fsys, name)
	if err != nil {
		return nil, err
	}
	s := newServer(sc, name, fx, opt)
	if err := s.setupJobs(opt, fsys); err != nil {
		return nil, &ScenarioError{Name: name, Reason: "jobs", Err: err}
	}
	return s, nil
}

// newServer builds a server from a loaded scenario and fixtures, which
// the hosts of a Fleet share.
func newServer(sc *Scenario, name string, fx map[string]*fixture, opt Options) *Server {
	s := &Server{
		sc:        sc,
		name:      name,
		fixtures:  fx,
		jobs:      map[string]*JobSpec{},
		auth:      opt.Auth,
		newAcc:    opt.NewAcceptor,
		logf:      opt.Logf,
		tlsGiven:  opt.TLSCertificate,
		clientCAs: opt.ClientCAs,
		live:      map[net.Conn]*connState{},
		seen503:   map[string]bool{},
		done:      make(chan struct{}),
		stats:     Stats{Actions: map[string]int{}},
		enumTTL:   opt.EnumerationTimeout,
		enumMax:   opt.MaxEnumerations,
	}
	for i := range sc.Jobs {
		j := &sc.Jobs[i]
		s.jobs[jobKey(j.Namespace, j.Class, j.InstanceID)] = j
	}
	return s
}

// Scenario returns the scenario the server plays (do not modify it).
func (s *Server) Scenario() *Scenario { return s.sc }

// Jobs lists the scenario's jobs in scenario order, or the generated ones
// that replace them.
func (s *Server) Jobs() []Job {
	if s.gen != nil {
		return s.generatedJobList()
	}
	out := make([]Job, 0, len(s.sc.Jobs))
	for _, j := range s.sc.Jobs {
		profile := "cim"
		switch strings.ToLower(j.Class) {
		case "msvm_concretejob":
			profile = "hyperv"
		case "msps_provisioningjob":
			profile = "msps"
		}
		out = append(out, Job{
			Profile:     profile,
			Namespace:   normNamespace(j.Namespace),
			Class:       j.Class,
			InstanceID:  j.InstanceID,
			Title:       j.Title,
			ResourceURI: wmiPrefix + normNamespace(j.Namespace) + "/" + j.Class,
			Inject:      j.Inject,
		})
	}
	return out
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Actions = make(map[string]int, len(s.stats.Actions))
	for k, v := range s.stats.Actions {
		st.Actions[k] = v
	}
	st.Conns = make([]ConnStats, 0, len(s.conns))
	for _, c := range s.conns {
		st.Conns = append(st.Conns, c.stats)
	}
	return st
}

// Start listens on addr ("127.0.0.1:0") and serves HTTP in the background.
// It returns the endpoint URL, "http://.../wsman".
func (s *Server) Start(addr string) (string, error) {
	return s.listen(addr, nil)
}

// listen serves on addr, over TLS when cfg is not nil.
func (s *Server) listen(addr string, cfg *tls.Config) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.httpSrv != nil {
		return "", errors.New("simulator: already started")
	}
	select {
	case <-s.done:
		return "", errors.New("simulator: closed")
	default:
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	scheme := "http"
	if cfg != nil {
		ln, scheme = tls.NewListener(ln, cfg), "https"
	} else if s.sc.HTTPSOnly {
		ln.Close()
		return "", fmt.Errorf("simulator: host %s has only an HTTPS listener: start it with StartTLS", s.sc.Host)
	}
	s.httpSrv = &http.Server{
		Handler:           http.HandlerFunc(s.serveListener),
		ReadHeaderTimeout: 30 * time.Second,
		ReadTimeout:       2 * time.Minute, // a request body that trickles in is cut off
		IdleTimeout:       2 * time.Minute, // HTTP.sys' default idle connection timeout
		MaxHeaderBytes:    64 << 10,        // Windows' HTTP.sys allows 64 KiB of headers by default
		ConnContext:       s.ConnContext,
		ConnState:         s.connClosed,
		ErrorLog:          log.New(logWriter(s.log), "simulator: ", 0),
	}
	go s.httpSrv.Serve(ln) //nolint:errcheck // Serve returns ErrServerClosed on Close.
	return scheme + "://" + ln.Addr().String() + "/wsman", nil
}

// Close stops the listener, ends every connection and releases handlers
// that are hanging on purpose.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { close(s.done) })
	s.mu.Lock()
	srv := s.httpSrv
	s.mu.Unlock()
	var err error
	if srv != nil {
		err = srv.Close()
	}
	s.logMu.Lock()
	s.logOff = true
	s.logMu.Unlock()
	return err
}

// serveListener is the handler of Start and StartTLS: a WinRM listener
// answers at /wsman and nowhere else.
func (s *Server) serveListener(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/wsman" {
		s.count(func(st *Stats) { st.Requests++ })
		s.reject(w, r, http.StatusNotFound)
		return
	}
	s.ServeHTTP(w, r)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cs := connOf(r)
	s.count(func(st *Stats) {
		st.Requests++
		cs.stats.Requests++
	})
	if s.hostHook != nil && s.hostHook(w, r) {
		return
	}
	w.Header().Set("Server", "Microsoft-HTTPAPI/2.0")
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.reject(w, r, http.StatusMethodNotAllowed)
		return
	}
	// An Identify may come unauthenticated when the client says so (MS-WSMV
	// 3.1.4.16): decide after reading the body.
	anonIdentify := strings.EqualFold(r.Header.Get("WSMANIDENTIFY"), "unauthenticated") && r.Header.Get("Authorization") == ""
	var a authResult
	if !anonIdentify {
		var ok bool
		if a, ok = s.admit(w, r, cs); !ok {
			return
		}
	}
	data, sealed, ok := s.readMessage(w, r, cs, a)
	if !ok {
		return
	}
	if sealed {
		sw := &sealWriter{w: w, cs: cs, ctx: a.sess}
		defer func() {
			if err := sw.finish(); err != nil {
				s.logRequest(r, "sealing the reply: %v", err)
			}
		}()
		w = sw
	}
	req, f := parseRequest(data)
	if anonIdentify && !(req.identify && f == "") {
		if a, ok = s.admit(w, r, cs); !ok {
			return
		}
	}
	if a.uri != "" && f == "" && !req.identify && !matchPattern(a.uri, req.resourceURI) {
		s.refuse(w, r, "certificate mapping does not cover "+req.resourceURI)
		return
	}
	if f != "" {
		s.reply(w, r, req, f)
		return
	}
	if req.identify {
		s.count(func(st *Stats) { st.Actions["Identify"]++ })
		s.reply(w, r, req, identifyReply)
		return
	}
	s.count(func(st *Stats) { st.Actions[req.action]++ })
	if s.serveEnumeration(w, r, req) || (s.gen != nil && s.serveGenerated(w, r, req)) {
		return
	}
	name, job := s.route(req)
	if job != nil && job.Inject != "" && s.misbehave(w, r, req, job, name) {
		return
	}
	s.reply(w, r, req, name)
}

func (s *Server) reject(w http.ResponseWriter, r *http.Request, status int) {
	s.count(func(st *Stats) { st.Rejected++ })
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
	s.logRequest(r, "-> %d", status)
}

// route picks the reply for a well-formed request: a fixture name, and the
// job it concerns when there is one.
func (s *Server) route(req *request) (string, *JobSpec) {
	var method string
	switch {
	case req.action == actionGet:
	case req.resourceURI != "" && len(req.action) > len(req.resourceURI)+1 &&
		strings.EqualFold(req.action[:len(req.resourceURI)+1], req.resourceURI+"/"):
		method = req.action[len(req.resourceURI)+1:]
		if strings.Contains(method, "/") {
			return faultActionNotSupported, nil
		}
	default:
		return faultActionNotSupported, nil
	}
	ns, class, f := s.resolveResource(req)
	if f != "" {
		return f, nil
	}
	var id string
	haveID := false
	for _, sel := range req.selectors {
		switch {
		case strings.EqualFold(sel.name, "InstanceID"):
			id, haveID = sel.value, true
		case strings.EqualFold(sel.name, "__cimnamespace"):
		default:
			return faultInvalidSelectors, nil
		}
	}
	if !haveID {
		return faultInvalidSelectors, nil
	}
	job := s.jobs[jobKey(ns, class, id)]
	if job == nil {
		return s.sc.MissingInstanceFault, nil
	}
	if method == "" {
		return job.Get, job
	}
	if req.body == nil || !strings.EqualFold(req.body.Tag, method+"_INPUT") || !strings.EqualFold(req.body.NamespaceURI(), req.resourceURI) {
		return faultMalformed, job
	}
	if strings.EqualFold(method, "GetErrorEx") && !s.sc.GetErrorEx {
		return faultMethodNotFound, job
	}
	for m, fx := range job.Methods {
		if strings.EqualFold(m, method) {
			return fx, job
		}
	}
	return faultMethodNotFound, job
}

// resolveResource maps the resource URI (and a __cimnamespace selector) to a
// namespace and class present on the host.
func (s *Server) resolveResource(req *request) (ns, class, fault string) {
	uri := req.resourceURI
	var cimns string
	haveCimns := false
	for _, sel := range req.selectors {
		if strings.EqualFold(sel.name, "__cimnamespace") {
			cimns, haveCimns = normNamespace(sel.value), true
		}
	}
	switch {
	case len(uri) > len(wmiPrefix) && strings.EqualFold(uri[:len(wmiPrefix)], wmiPrefix):
		rest := uri[len(wmiPrefix):]
		i := strings.LastIndex(rest, "/")
		if i <= 0 || i == len(rest)-1 {
			return "", "", faultInvalidResourceURI
		}
		ns, class = normNamespace(rest[:i]), rest[i+1:]
		if haveCimns && !strings.EqualFold(cimns, ns) {
			return "", "", faultInvalidSelectors
		}
	case len(uri) > len(dmtfPrefix) && strings.EqualFold(uri[:len(dmtfPrefix)], dmtfPrefix):
		class = uri[len(dmtfPrefix):]
		if strings.Contains(class, "/") {
			return "", "", faultInvalidResourceURI
		}
		ns = "root/hardware" // Windows' namespace for DMTF URIs without __cimnamespace
		if haveCimns {
			ns = cimns
		}
	default:
		return "", "", faultInvalidResourceURI
	}
	if !hasFold(s.sc.Namespaces, ns) {
		return "", "", faultInvalidNamespace
	}
	if c, ok := s.hasClass(ns, class); ok {
		return ns, c, ""
	}
	for _, j := range s.sc.Jobs {
		if strings.EqualFold(normNamespace(j.Namespace), ns) && strings.EqualFold(j.Class, class) {
			return ns, j.Class, ""
		}
	}
	return "", "", faultClassNotFound
}

func (s *Server) count(f func(*Stats)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}

// logWriter sends the http.Server's own complaints (TLS handshake
// errors, ...) to Server.log.
type logWriter func(string, ...any)

func (l logWriter) Write(p []byte) (int, error) {
	l("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// log passes a line to Options.Logf unless the server is closed.
func (s *Server) log(format string, args ...any) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	if s.logf != nil && !s.logOff {
		s.logf(format, args...)
	}
}

func (s *Server) logRequest(r *http.Request, format string, args ...any) {
	s.log("simulator: %s %s %s", r.RemoteAddr, r.Method, fmt.Sprintf(format, args...))
}
