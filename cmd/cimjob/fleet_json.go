package main

import (
	"encoding/json"
	"io"
	"net/url"

	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/fleet"
)

// fleetDoc is the document `-o json` prints for jobs, check and identify;
// its schemaVersion follows the same rule as error's (schemaVersion). The
// README documents it.
type fleetDoc struct {
	SchemaVersion int          `json:"schemaVersion"`
	Command       string       `json:"command"`
	Hosts         []*fleetHost `json:"hosts"`
	Summary       fleetSummary `json:"summary"`
}

// fleetHost is one host: an element of fleetDoc.Hosts and one line of
// `-o ndjson`.
type fleetHost struct {
	Host            string          `json:"host"`
	URL             string          `json:"url"`
	Status          fleet.Status    `json:"status"`
	DurationSeconds float64         `json:"durationSeconds"`
	Failure         *failure        `json:"failure,omitempty"`
	Identity        *identityReport `json:"identity,omitempty"`
	// Jobs is there for jobs and check, empty when there are none (or the
	// host did not answer), absent for identify.
	// Its elements are *listedJob for jobs, *failedJob for check; a
	// pointer, so that an empty list is [] and identify's is absent.
	Jobs *[]any `json:"jobs,omitempty"`
}

// listedJob is a job that jobs listed: the job object of `error -o json`.
type listedJob struct {
	Job jobReport `json:"job"`
}

// failedJob is a failed job that check found, as `error -o json` reports
// it (job, method, returnValue, errors, notes); or vanished, with a note;
// or with the failure of its own error method call.
type failedJob struct {
	Job         jobReport    `json:"job"`
	Method      string       `json:"method,omitempty"`
	ReturnValue *cim.Enum    `json:"returnValue"`
	Errors      []*cim.Error `json:"errors"`
	Notes       []string     `json:"notes"`
	Vanished    bool         `json:"vanished,omitempty"`
	Failure     *failure     `json:"failure,omitempty"`
}

type identityReport struct {
	ProtocolVersion string `json:"protocolVersion"`
	ProductVendor   string `json:"productVendor"`
	ProductVersion  string `json:"productVersion"`
}

type fleetSummary struct {
	Targets     int  `json:"targets"`
	Healthy     int  `json:"healthy"`
	Failed      int  `json:"failed"`
	Unreachable int  `json:"unreachable"`
	FailedJobs  int  `json:"failedJobs"`
	Cancelled   bool `json:"cancelled"`
}

// noteVanished is the note of a failed job gone before its error method
// was called.
const noteVanished = "the job was listed as failed but was gone when its error method was called (the host removes ended jobs after a while)"

// newFleetHost is the HOST object of r for the command.
func newFleetHost(cmd fleetCommand, r *fleet.HostResult) *fleetHost {
	h := &fleetHost{
		Host:            r.Host,
		URL:             withoutUserInfo(r.URL),
		Status:          r.Status,
		DurationSeconds: r.Duration.Seconds(),
	}
	if r.Err != nil {
		h.Failure = newFailure(r.Err)
	}
	if id := r.Identity; id != nil {
		h.Identity = &identityReport{ProtocolVersion: id.ProtocolVersion, ProductVendor: id.ProductVendor, ProductVersion: id.ProductVersion}
	}
	switch cmd {
	case cmdJobs:
		jobs := make([]any, 0, len(r.Jobs))
		for _, l := range r.Jobs {
			jobs = append(jobs, &listedJob{Job: jobOf(l)})
		}
		h.Jobs = &jobs
	case cmdCheck:
		jobs := make([]any, 0, len(r.FailedJobs))
		for i := range r.FailedJobs {
			jobs = append(jobs, newFleetFailedJob(r.URL, &r.FailedJobs[i]))
		}
		h.Jobs = &jobs
	}
	return h
}

// withoutUserInfo drops the user name and password a URL may carry, which
// an output must never show.
func withoutUserInfo(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "" // unparsable: it may hold anything
	}
	if u.User == nil {
		return s
	}
	u.User = nil
	return u.String()
}

func newFleetFailedJob(endpoint string, fj *fleet.FailedJob) *failedJob {
	j := &failedJob{Job: jobOf(fj.Listed), Errors: []*cim.Error{}, Notes: []string{}}
	switch {
	case fj.Vanished:
		j.Vanished = true
		j.Notes = append(j.Notes, noteVanished)
	case fj.Err != nil:
		j.Failure = newFailure(fj.Err)
	case fj.Result != nil:
		rep := newReport(endpoint, fj.Result)
		// The listing's properties stand when the error method's answer
		// came without them.
		if fj.Result.Job != nil {
			j.Job = rep.Job
		}
		j.Method, j.ReturnValue, j.Errors, j.Notes = rep.Method, rep.ReturnValue, rep.Errors, rep.Notes
	}
	return j
}

func newFleetSummary(s fleet.Summary) fleetSummary {
	return fleetSummary{Targets: s.Targets, Healthy: s.Healthy, Failed: s.Failed, Unreachable: s.Unreachable, FailedJobs: s.FailedJobs, Cancelled: s.Cancelled}
}

// fleetJSON keeps the hosts and writes one document at Done.
type fleetJSON struct {
	cmd   fleetCommand
	w     io.Writer
	hosts []*fleetHost
}

func newFleetJSON(cmd fleetCommand, w io.Writer) fleetWriter {
	return &fleetJSON{cmd: cmd, w: w, hosts: []*fleetHost{}}
}

func (f *fleetJSON) Host(r *fleet.HostResult) error {
	f.hosts = append(f.hosts, newFleetHost(f.cmd, r))
	return nil
}

func (f *fleetJSON) Done(s fleet.Summary) error {
	return writeJSON(f.w, &fleetDoc{SchemaVersion: schemaVersion, Command: string(f.cmd), Hosts: f.hosts, Summary: newFleetSummary(s)})
}

// fleetNDJSON writes each host as one line as soon as it finishes, and
// nothing else: every line has the same shape (a HOST object), and the
// exit code says how the run ended.
type fleetNDJSON struct {
	cmd fleetCommand
	w   io.Writer
	enc *json.Encoder
}

func newFleetNDJSON(cmd fleetCommand, w io.Writer) fleetWriter {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &fleetNDJSON{cmd: cmd, w: w, enc: enc}
}

// flusher is a buffered writer (bufio.Writer) that ndjson flushes after
// each line, so that a reader sees each host as it finishes.
type flusher interface{ Flush() error }

func (f *fleetNDJSON) Host(r *fleet.HostResult) error {
	// Encode writes the line in one Write call.
	if err := f.enc.Encode(newFleetHost(f.cmd, r)); err != nil {
		return err
	}
	if fl, ok := f.w.(flusher); ok {
		return fl.Flush()
	}
	return nil
}

func (f *fleetNDJSON) Done(fleet.Summary) error { return nil }
