package simulator

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
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
	// Auth authenticates requests; nil means Basic with the scenario's users,
	// offering the scenario's schemes in the 401.
	Auth Authenticator
	// Logf, if set, receives one line per request.
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

// Stats count what the server has seen. Later transports add handshakes.
type Stats struct {
	Requests     int
	Faults       int // SOAP faults sent (HTTP 500)
	AuthFailures int // 401s sent
	Rejected     int // other HTTP-level refusals: 404, 405, 413, 415
	Injected     int // requests answered with a misbehaviour
	Connections  int // TCP connections accepted (only when started with Start)
	// Actions counts requests by wsa:Action; Identify counts as "Identify".
	Actions map[string]int
}

// Server is a simulated Windows WS-Management host. It implements
// http.Handler and serves any path it is mounted on as /wsman would be.
type Server struct {
	sc       *Scenario
	name     string
	fixtures map[string]*fixture
	jobs     map[string]*JobSpec
	auth     Authenticator
	logf     func(string, ...any)

	mu      sync.Mutex
	stats   Stats
	seen503 map[string]bool
	httpSrv *http.Server

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
	sc, err := LoadScenario(fsys, name)
	if err != nil {
		return nil, err
	}
	fx, err := loadFixtures(fsys, sc, name)
	if err != nil {
		return nil, err
	}
	s := &Server{
		sc:       sc,
		name:     name,
		fixtures: fx,
		jobs:     map[string]*JobSpec{},
		auth:     opt.Auth,
		logf:     opt.Logf,
		seen503:  map[string]bool{},
		done:     make(chan struct{}),
		stats:    Stats{Actions: map[string]int{}},
	}
	for i := range sc.Jobs {
		j := &sc.Jobs[i]
		s.jobs[jobKey(j.Namespace, j.Class, j.InstanceID)] = j
	}
	if s.auth == nil {
		offer := sc.AuthSchemes
		if len(offer) == 0 {
			offer = []string{"Basic"}
		}
		s.auth = &BasicAuthenticator{Users: sc.Users, Offer: offer}
	}
	return s, nil
}

// Scenario returns the scenario the server plays (do not modify it).
func (s *Server) Scenario() *Scenario { return s.sc }

// Jobs lists the scenario's jobs in scenario order.
func (s *Server) Jobs() []Job {
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
	return st
}

// Start listens on addr ("127.0.0.1:0") and serves in the background. It
// returns the endpoint URL, ".../wsman".
func (s *Server) Start(addr string) (string, error) {
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
	s.httpSrv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				s.mu.Lock()
				s.stats.Connections++
				s.mu.Unlock()
			}
		},
	}
	go s.httpSrv.Serve(ln) //nolint:errcheck // Serve returns ErrServerClosed on Close.
	return "http://" + ln.Addr().String() + "/wsman", nil
}

// Close stops the listener, ends every connection and releases handlers
// that are hanging on purpose.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { close(s.done) })
	s.mu.Lock()
	srv := s.httpSrv
	s.mu.Unlock()
	if srv != nil {
		return srv.Close()
	}
	return nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.count(func(st *Stats) { st.Requests++ })
	w.Header().Set("Server", "Microsoft-HTTPAPI/2.0")
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.reject(w, r, http.StatusMethodNotAllowed)
		return
	}
	// An Identify may come unauthenticated when the client says so (MS-WSMV
	// 3.1.4.16): decide after reading the body.
	anonIdentify := strings.EqualFold(r.Header.Get("WSMANIDENTIFY"), "unauthenticated")
	if !anonIdentify && !s.authenticate(w, r) {
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/soap+xml" {
		s.reject(w, r, http.StatusUnsupportedMediaType)
		return
	}
	limit := int64(s.sc.MaxEnvelopeSizeKB) * 1024
	if r.ContentLength > limit {
		s.reject(w, r, http.StatusRequestEntityTooLarge)
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		s.logRequest(r, "read error: %v", err)
		return
	}
	if int64(len(data)) > limit {
		s.reject(w, r, http.StatusRequestEntityTooLarge)
		return
	}
	req, f := parseRequest(data)
	if anonIdentify && !(req.identify && f == "") && !s.authenticate(w, r) {
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
	name, job := s.route(req)
	if job != nil && job.Inject != "" && s.misbehave(w, r, req, job, name) {
		return
	}
	s.reply(w, r, req, name)
}

func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) bool {
	if _, ok := s.auth.Authenticate(w, r); !ok {
		s.count(func(st *Stats) { st.AuthFailures++ })
		s.logRequest(r, "-> 401")
		return false
	}
	return true
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
	case req.action == actionEnumerate || req.action == actionPull || req.action == actionRelease:
		// Enumeration is not simulated yet.
		return faultActionNotSupported, nil
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

func (s *Server) logRequest(r *http.Request, format string, args ...any) {
	if s.logf != nil {
		s.logf("simulator: %s %s %s", r.RemoteAddr, r.Method, fmt.Sprintf(format, args...))
	}
}
