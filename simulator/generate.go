package simulator

import (
	"bytes"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// GenerateSpec asks a scenario for generated jobs instead of (or beside
// none of) its listed ones: a whole host with many jobs in every state.
type GenerateSpec struct {
	// Jobs is how many jobs the host holds.
	Jobs int `json:"jobs"`
	// Seed makes the jobs; the same seed (and host index) gives the same jobs.
	Seed uint64 `json:"seed"`
	// Profiles: "hyperv", "msps", "cim"; empty means all three.
	Profiles []string `json:"profiles,omitempty"`
}

// maxGeneratedJobs bounds Jobs: every request lists them again.
const maxGeneratedJobs = 100000

// JobStates are the CIM_ConcreteJob JobState values the generator cycles
// through, so that a host with at least 11 jobs per profile has every one:
// New, Starting, Running, Suspended, Shutting Down, Completed, Terminated,
// Killed, Exception, Service, Query Pending.
var JobStates = []int{2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}

var jobStatus = map[int]string{
	2: "Job is new", 3: "Job is starting", 4: "Job is running", 5: "Job is suspended",
	6: "Job is shutting down", 7: "Job completed", 8: "Job was terminated", 9: "Job was killed",
	10: "Job failed", 11: "Job is in service", 12: "Job is waiting for a query",
}

// errorSet is a failed job's look: its Get template (ErrorCode,
// ErrorDescription, JobType) and its error method replies.
type errorSet struct {
	get     string
	methods map[string]string
}

// genProfile is one job class the generator makes.
type genProfile struct {
	name      string
	ns        string
	class     string
	template  string     // Get fixture whose properties generated jobs start from
	failed    []errorSet // failed jobs take one of these
	ok        errorSet   // every other job's method replies
	jobTypes  []int      // JobType values of jobs that did not fail (Hyper-V)
	subclass  string     // every 7th job is of this subclass (Hyper-V)
	extraSub  []prop     // the subclass's own properties
	baseURI   string     // the URI the fixtures' replies name, replaced by the job's
	errorCode int        // ErrorCode of a job that ends with an error but no Exception
}

func hypervSet(dir string) errorSet {
	return errorSet{get: "hyperv/" + dir + "/get.xml", methods: map[string]string{
		"GetError": "hyperv/" + dir + "/geterror.xml", "GetErrorEx": "hyperv/" + dir + "/geterrorex.xml"}}
}

func mspsSet(dir string) errorSet {
	return errorSet{get: "msps/" + dir + "/get.xml", methods: map[string]string{"GetError": "msps/" + dir + "/geterror.xml"}}
}

var genProfiles = []genProfile{
	{
		name: "hyperv", ns: "root/virtualization/v2", class: "Msvm_ConcreteJob",
		template: "hyperv/start-failed/get.xml",
		failed:   []errorSet{hypervSet("start-failed"), hypervSet("export-failed"), hypervSet("german"), hypervSet("japanese")},
		ok:       hypervSet("completed"),
		jobTypes: []int{2, 12, 13, 14, 16, 62, 70, 71, 72},
		subclass: "Msvm_MigrationJob",
		extraSub: []prop{{name: "DestinationHost", vals: []string{"hv-dest.corp.example"}}, {name: "MigrationType", vals: []string{"32768"}}},
		baseURI:  wmiPrefix + "root/virtualization/v2/Msvm_ConcreteJob", errorCode: 32768,
	},
	{
		name: "msps", ns: "root/msps", class: "Msps_ProvisioningJob",
		template: "msps/failed/get.xml",
		failed:   []errorSet{mspsSet("failed"), mspsSet("vendor-40000")},
		ok:       mspsSet("pending-boot"),
		baseURI:  wmiPrefix + "root/msps/Msps_ProvisioningJob", errorCode: 4,
	},
	{
		// Any other CIM_ConcreteJob: the DMTF GetError with an embedded
		// CIM_Error, which is what the MSPS replies carry.
		name: "cim", ns: "root/cimv2", class: "CIM_ConcreteJob",
		template: "msps/failed/get.xml",
		failed:   []errorSet{mspsSet("failed"), mspsSet("vendor-40000")},
		ok:       mspsSet("pending-boot"),
		baseURI:  wmiPrefix + "root/msps/Msps_ProvisioningJob", errorCode: 4,
	},
}

// genTemplates are the parsed templates all generated hosts share.
type genTemplates struct {
	base  map[string]*instance // profile name -> template instance
	fails map[string]*instance // error set Get fixture -> its instance
	fx    map[string][]byte    // method reply fixtures
}

var (
	templatesMu   sync.Mutex
	templatesByFS = map[fs.FS]*genTemplates{}
)

// loadTemplates parses the generator's fixtures once per fixture tree.
func loadTemplates(fsys fs.FS) (*genTemplates, error) {
	templatesMu.Lock()
	defer templatesMu.Unlock()
	if t := templatesByFS[fsys]; t != nil {
		return t, nil
	}
	t := &genTemplates{base: map[string]*instance{}, fails: map[string]*instance{}, fx: map[string][]byte{}}
	get := func(name, ns string) (*instance, error) {
		data, err := readBounded(fsys, path.Join("responses", name))
		if err != nil {
			return nil, err
		}
		in, err := instanceFromGet(data, ns)
		if err == nil && in == nil {
			err = fmt.Errorf("%s is a fault, not an instance", name)
		}
		return in, err
	}
	for _, p := range genProfiles {
		in, err := get(p.template, p.ns)
		if err != nil {
			return nil, err
		}
		in.raw = nil
		t.base[p.name] = in
		for _, set := range append(append([]errorSet{}, p.failed...), p.ok) {
			if set.get != "" && t.fails[set.get] == nil {
				if t.fails[set.get], err = get(set.get, p.ns); err != nil {
					return nil, err
				}
			}
			for _, m := range set.methods {
				if t.fx[m] == nil {
					if t.fx[m], err = readBounded(fsys, path.Join("responses", m)); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	templatesByFS[fsys] = t
	return t, nil
}

// generator makes one host's jobs on demand from (seed, host, index): a
// host holds no job data, so a thousand idle hosts cost next to nothing.
type generator struct {
	t        *genTemplates
	seed     uint64
	host     int
	n        int
	profiles []*genProfile
	epoch    time.Time // jobs started in the 24 hours before it
	// noFailures: the jobs that would fail complete well instead
	// (FleetOptions.NoFailedJobs).
	noFailures bool

	// sampleMu guards sampled: the samples of a namespace, made once.
	// Every Enumerate asks for them (which classes and properties the
	// host knows), and making them anew each time cost a tenth of a
	// fleet benchmark's CPU; a few instances per namespace are small.
	sampleMu sync.Mutex
	sampled  map[string][]*instance
}

func newGenerator(t *genTemplates, spec GenerateSpec, host int, epoch time.Time) (*generator, error) {
	if spec.Jobs < 0 || spec.Jobs > maxGeneratedJobs {
		return nil, fmt.Errorf("generate: jobs must be 0..%d", maxGeneratedJobs)
	}
	g := &generator{t: t, seed: spec.Seed, host: host, n: spec.Jobs, epoch: epoch.UTC().Truncate(time.Second)}
	names := spec.Profiles
	if len(names) == 0 {
		names = []string{"hyperv", "msps", "cim"}
	}
	for _, n := range names {
		found := false
		for i := range genProfiles {
			if strings.EqualFold(genProfiles[i].name, n) {
				g.profiles = append(g.profiles, &genProfiles[i])
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("generate: unknown profile %q (hyperv, msps, cim)", n)
		}
	}
	return g, nil
}

// genJob is one generated job: its instance and its method replies.
type genJob struct {
	in      *instance
	p       *genProfile
	methods map[string]string
	failed  bool
}

func (g *generator) instanceID(p int, idx int) string {
	return fmt.Sprintf("%08X-%04X-4000-8%03X-%012X", uint32(g.seed*2654435761), g.host&0xffff, p, idx)
}

// job makes job idx.
func (g *generator) job(idx int) *genJob {
	pi := idx % len(g.profiles)
	p := g.profiles[pi]
	rng := rand.New(rand.NewPCG(g.seed^uint64(g.host)<<32, uint64(idx)))
	per := idx / len(g.profiles)
	state := JobStates[(per+g.host)%len(JobStates)]
	class := p.class
	if p.subclass != "" && per%7 == 6 {
		class = p.subclass
	}
	j := &genJob{p: p, methods: p.ok.methods}
	// Failed: Exception, and one Completed in three (a terminal state with
	// ErrorCode set, which a client must count as failed too).
	fails := state == 10 || state == 7 && per%3 == 0
	if g.noFailures && fails {
		state, fails = 7, false // Exception is a failure whatever else the job says
	}
	var set *errorSet
	if fails {
		set = &p.failed[rng.IntN(len(p.failed))]
		j.failed = true
		j.methods = set.methods
	}
	base := g.t.base[p.name]
	in := &instance{ns: p.ns, class: class, props: make([]prop, 0, len(base.props)+2)}
	for _, bp := range base.props {
		bp.vals = append([]string(nil), bp.vals...)
		in.props = append(in.props, bp)
	}
	if class != p.class {
		in.props = append(in.props, p.extraSub...)
	}
	set1 := func(name, v string) {
		if pp := in.prop(name); pp != nil {
			pp.vals, pp.null = []string{v}, false
		}
	}
	null := func(name string) {
		if pp := in.prop(name); pp != nil {
			pp.vals, pp.null = nil, true
		}
	}
	set1("InstanceID", g.instanceID(pi, idx))
	set1("JobState", strconv.Itoa(state))
	set1("JobStatus", jobStatus[state])
	jobType := 0
	if len(p.jobTypes) > 0 {
		jobType = p.jobTypes[rng.IntN(len(p.jobTypes))]
	}
	if set != nil {
		f := g.t.fails[set.get]
		for _, n := range []string{"ErrorCode", "ErrorDescription", "ErrorSummaryDescription", "JobType", "ElementName", "Caption", "Description", "Name"} {
			if v, ok := f.value(n); ok {
				set1(n, v)
			}
		}
		if state == 7 {
			set1("ErrorCode", strconv.Itoa(p.errorCode))
		}
		set1("Status", "Error")
		set1("OperationalStatus", "6")
	} else {
		set1("ErrorCode", "0")
		null("ErrorDescription")
		null("ErrorSummaryDescription")
		set1("Status", "OK")
		set1("OperationalStatus", "2")
		if jobType != 0 {
			set1("JobType", strconv.Itoa(jobType))
		}
	}
	submitted := g.epoch.Add(-time.Duration(rng.Int64N(int64(24 * time.Hour))))
	start := submitted.Add(time.Duration(rng.Int64N(int64(5 * time.Second))))
	var elapsed time.Duration
	var percent int
	switch state {
	case 2:
		null("StartTime")
		null("ElapsedTime")
		start = submitted
	case 7, 8, 9, 10:
		elapsed = time.Duration(1+rng.Int64N(600)) * time.Second
		percent = 100
		if state != 7 {
			percent = rng.IntN(100)
		}
	default:
		elapsed = g.epoch.Sub(start)
		percent = rng.IntN(100)
	}
	set1("TimeSubmitted", submitted.Format(time.RFC3339Nano))
	if state != 2 {
		set1("StartTime", start.Format(time.RFC3339Nano))
		set1("ElapsedTime", xsDuration(elapsed))
	}
	set1("ScheduledStartTime", submitted.Format(time.RFC3339Nano))
	set1("TimeOfLastStateChange", start.Add(elapsed).Format(time.RFC3339Nano))
	set1("PercentComplete", strconv.Itoa(percent))
	if pp := in.prop("Cancellable"); pp != nil {
		pp.vals = []string{strconv.FormatBool(state == 4)}
	}
	j.in = in
	return j
}

// instances lists the host's jobs in ns.
func (g *generator) instances(ns string) []*instance {
	var out []*instance
	for i := 0; i < g.n; i++ {
		if !strings.EqualFold(g.profiles[i%len(g.profiles)].ns, ns) {
			continue
		}
		out = append(out, g.job(i).in)
	}
	return out
}

// samples lists the first jobs in ns: enough for every class, since every
// 7th job of a profile is of its subclass.
func (g *generator) samples(ns string) []*instance {
	key := strings.ToLower(ns)
	g.sampleMu.Lock()
	defer g.sampleMu.Unlock()
	if out, ok := g.sampled[key]; ok {
		return out
	}
	out := g.makeSamples(ns)
	if g.sampled == nil {
		g.sampled = map[string][]*instance{}
	}
	g.sampled[key] = out
	return out
}

// makeSamples makes the first jobs of each profile in ns, which between
// them show every class and property the host has there.
func (g *generator) makeSamples(ns string) []*instance {
	var out []*instance
	for i := 0; i < min(g.n, 7*len(g.profiles)); i++ {
		if strings.EqualFold(g.profiles[i%len(g.profiles)].ns, ns) {
			out = append(out, g.job(i).in)
		}
	}
	return out
}

// lookup finds the job an InstanceID names, or nil.
func (g *generator) lookup(id string) *genJob {
	i := strings.LastIndexByte(id, '-')
	if i < 0 {
		return nil
	}
	idx, err := strconv.ParseUint(id[i+1:], 16, 32)
	if err != nil || int(idx) >= g.n {
		return nil
	}
	j := g.job(int(idx))
	if v, _ := j.in.value("InstanceID"); !strings.EqualFold(v, id) {
		return nil
	}
	return j
}

// GeneratedJob describes a generated job for tests and listings.
type GeneratedJob struct {
	// Profile names the job's profile ("hyperv", "msps", "cim").
	Profile                      string
	Namespace, Class, InstanceID string
	JobState                     int
	ErrorCode                    string
	// Failed: JobState Exception, or a terminal state with ErrorCode set.
	Failed bool
	// ErrorFixture is the GetError reply of a failed job.
	ErrorFixture string
}

// GeneratedJobs lists the jobs of a host with generated jobs (nil for a
// scenario's listed jobs).
func (s *Server) GeneratedJobs() []GeneratedJob {
	if s.gen == nil {
		return nil
	}
	out := make([]GeneratedJob, 0, s.gen.n)
	for i := 0; i < s.gen.n; i++ {
		j := s.gen.job(i)
		id, _ := j.in.value("InstanceID")
		st, _ := j.in.value("JobState")
		ec, _ := j.in.value("ErrorCode")
		n, _ := strconv.Atoi(st)
		g := GeneratedJob{Profile: j.p.name, Namespace: j.in.ns, Class: j.in.class, InstanceID: id, JobState: n, ErrorCode: ec, Failed: j.failed}
		if j.failed {
			g.ErrorFixture = j.methods["GetError"]
		}
		out = append(out, g)
	}
	return out
}

// generateSpec is the scenario's generate section (def when it has none)
// with the non-zero overrides applied.
func (sc *Scenario) generateSpec(def GenerateSpec, jobs int, seed uint64, profiles []string) GenerateSpec {
	spec := def
	if sc.Generate != nil {
		spec = *sc.Generate
	}
	if jobs != 0 {
		spec.Jobs = jobs
	}
	if seed != 0 {
		spec.Seed = seed
	}
	if len(profiles) > 0 {
		spec.Profiles = profiles
	}
	return spec
}

var jobStateName = map[int]string{
	2: "New", 3: "Starting", 4: "Running", 5: "Suspended", 6: "Shutting Down", 7: "Completed",
	8: "Terminated", 9: "Killed", 10: "Exception", 11: "Service", 12: "Query Pending",
}

// generatedJobList describes the generated jobs as Jobs lists them.
func (s *Server) generatedJobList() []Job {
	gen := s.GeneratedJobs()
	if gen == nil {
		return nil
	}
	out := make([]Job, 0, len(gen))
	for _, g := range gen {
		title := fmt.Sprintf("%s, JobState %s, ErrorCode %s", g.Class, jobStateName[g.JobState], g.ErrorCode)
		if g.Failed {
			title += ": failed, " + g.ErrorFixture
		}
		out = append(out, Job{Profile: g.Profile, Namespace: g.Namespace, Class: g.Class, InstanceID: g.InstanceID,
			Title: title, ResourceURI: classURI(g.Namespace, g.Class)})
	}
	return out
}

// setupJobs prepares what Enumerate lists: generated jobs when asked for,
// else the instances of the scenario's Get fixtures.
func (s *Server) setupJobs(opt Options, fsys fs.FS) error {
	spec := s.sc.generateSpec(GenerateSpec{}, opt.Jobs, opt.Seed, opt.Profiles)
	if spec.Jobs > 0 {
		t, err := loadTemplates(fsys)
		if err != nil {
			return err
		}
		s.gen, err = newGenerator(t, spec, 0, time.Now())
		return err
	}
	for _, j := range s.sc.Jobs {
		fx := s.fixtures[j.Get]
		if fx == nil || fx.fault {
			continue
		}
		in, err := instanceFromGet(fx.data, j.Namespace)
		if err != nil {
			return fmt.Errorf("job %s: %w", j.InstanceID, err)
		}
		if in != nil {
			s.static = append(s.static, in)
		}
	}
	return nil
}

// serveGenerated answers Get and method calls on generated jobs; false for
// anything else.
func (s *Server) serveGenerated(w http.ResponseWriter, r *http.Request, req *request) bool {
	method := ""
	switch {
	case req.action == actionGet:
	case req.resourceURI != "" && len(req.action) > len(req.resourceURI)+1 &&
		strings.EqualFold(req.action[:len(req.resourceURI)+1], req.resourceURI+"/"):
		method = req.action[len(req.resourceURI)+1:]
	default:
		return false
	}
	_, class, f := s.resolveResource(req)
	if f != "" {
		s.reply(w, r, req, f)
		return true
	}
	var id string
	for _, sel := range req.selectors {
		switch {
		case strings.EqualFold(sel.name, "InstanceID"):
			id = sel.value
		case strings.EqualFold(sel.name, "__cimnamespace"):
		default:
			s.reply(w, r, req, faultInvalidSelectors)
			return true
		}
	}
	if id == "" {
		s.reply(w, r, req, faultInvalidSelectors)
		return true
	}
	j := s.gen.lookup(id)
	if j == nil || !isA(j.in.class, class) {
		s.reply(w, r, req, s.sc.MissingInstanceFault)
		return true
	}
	if method == "" {
		var b bytes.Buffer
		fmt.Fprintf(&b, `<s:Envelope xml:lang="en-US" xmlns:s="%s" xmlns:a="%s" xmlns:w="%s"><s:Header>`+
			`<a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse</a:Action><a:MessageID>%s</a:MessageID>`+
			`<a:To>%s</a:To>`, nsSOAP, nsAddressing, nsWSMan, newMessageID(), addrAnonymous)
		if req.messageID != "" {
			fmt.Fprintf(&b, "<a:RelatesTo>%s</a:RelatesTo>", escapeText(req.messageID))
		}
		b.WriteString("</s:Header><s:Body>")
		j.in.writeInstance(&b)
		b.WriteString("</s:Body></s:Envelope>")
		writeSOAP(w, http.StatusOK, b.Bytes())
		s.logRequest(r, "%s -> 200 generated %s", req.action, id)
		return true
	}
	if req.body == nil || !strings.EqualFold(req.body.Tag, method+"_INPUT") || !strings.EqualFold(req.body.NamespaceURI(), req.resourceURI) {
		s.reply(w, r, req, faultMalformed)
		return true
	}
	if strings.EqualFold(method, "GetErrorEx") && !s.sc.GetErrorEx {
		s.reply(w, r, req, faultMethodNotFound)
		return true
	}
	for m, name := range j.methods {
		if strings.EqualFold(m, method) {
			// The fixture names its own class's URI; the job answers with its own.
			data := bytes.ReplaceAll(s.gen.t.fx[name], []byte(j.p.baseURI), []byte(req.resourceURI))
			writeSOAP(w, http.StatusOK, s.fill(req, data, ""))
			s.logRequest(r, "%s -> 200 %s", req.action, name)
			return true
		}
	}
	s.reply(w, r, req, faultMethodNotFound)
	return true
}
