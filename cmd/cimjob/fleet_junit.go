package main

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cimjob/cimjob/fleet"
)

// The JUnit XML that Jenkins, GitLab and GitHub read: testsuites holding
// one testsuite per host (name, tests, failures, errors, time), whose
// testcases have a classname (the host), a name and a time, and fail with
// <failure> (a failed job) or <error> (no answer).
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitOutcome `xml:"failure,omitempty"`
	Error     *junitOutcome `xml:"error,omitempty"`
}

type junitOutcome struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// fleetJUnit keeps a testsuite per host and writes them at Done: a host
// that did not answer is one testcase with an <error>; for check, each
// failed job is a testcase with a <failure> holding its CIM_Error messages;
// for jobs, a host whose listing has failed jobs is one failing testcase;
// any other host is one passing testcase named after the command.
type fleetJUnit struct {
	cmd    fleetCommand
	w      io.Writer
	suites []junitSuite
	total  time.Duration
}

func newFleetJUnit(cmd fleetCommand, w io.Writer) fleetWriter {
	return &fleetJUnit{cmd: cmd, w: w}
}

func (f *fleetJUnit) Host(r *fleet.HostResult) error {
	host := oneLine(r.Host)
	s := junitSuite{Name: host, Time: junitTime(r.Duration)}
	if !r.Start.IsZero() {
		// JUnit's timestamp is ISO 8601 without a zone.
		s.Timestamp = r.Start.UTC().Format("2006-01-02T15:04:05")
	}
	switch {
	case r.Status == fleet.Unreachable:
		c := junitCase{Classname: host, Name: string(f.cmd), Time: s.Time}
		c.Error = &junitOutcome{Message: "no answer", Type: "other"}
		if r.Err != nil {
			fl := newFailure(r.Err)
			text := fl.Message
			if fl.Hint != "" {
				text += "\nhint: " + oneLine(fl.Hint)
			}
			c.Error = &junitOutcome{Message: fl.Message, Type: fl.Kind, Text: text}
		}
		s.Cases = append(s.Cases, c)
		s.Errors++
	case f.cmd == cmdCheck && len(r.FailedJobs) > 0:
		for i := range r.FailedJobs {
			s.Cases = append(s.Cases, junitFailedJob(host, r.URL, &r.FailedJobs[i]))
			s.Failures++
		}
	case f.cmd == cmdJobs && r.Status == fleet.Failed:
		// jobs: the listing holds jobs the failure policy counts as failed,
		// whose errors only check reads.
		msg := "the host lists failed jobs: cimjob check reads their errors"
		s.Cases = append(s.Cases, junitCase{Classname: host, Name: string(f.cmd), Time: s.Time,
			Failure: &junitOutcome{Message: msg, Type: "failed jobs", Text: msg}})
		s.Failures++
	default:
		s.Cases = append(s.Cases, junitCase{Classname: host, Name: string(f.cmd), Time: s.Time})
	}
	s.Tests = len(s.Cases)
	f.suites = append(f.suites, s)
	f.total += r.Duration
	return nil
}

// junitFailedJob is the testcase of a failed job: named by its InstanceID
// and name, failing with its first error's message, the text listing the
// job and every CIM_Error as error -o json reports them.
func junitFailedJob(host, endpoint string, fj *fleet.FailedJob) junitCase {
	j := newFleetFailedJob(endpoint, fj)
	name := oneLine(j.Job.InstanceID)
	if j.Job.ElementName != "" {
		name += " " + oneLine(j.Job.ElementName)
	}
	var text []string
	line := func(format string, a ...any) { text = append(text, oneLine(fmt.Sprintf(format, a...))) }
	line("job %s of %s/%s", j.Job.InstanceID, j.Job.Namespace, j.Job.Class)
	state := "JobState " + j.Job.JobState.String()
	if j.Job.ErrorCode != nil {
		state += fmt.Sprintf(", ErrorCode %d", *j.Job.ErrorCode)
	}
	if j.Job.ErrorDescription != "" {
		state += ": " + j.Job.ErrorDescription
	}
	line("%s", state)
	msg := "job failed: " + state
	if j.Job.ErrorDescription != "" {
		msg = j.Job.ErrorDescription
	}
	out := &junitOutcome{Type: "job failed"}
	switch {
	case j.Failure != nil:
		line("its error method failed (%s): %s", j.Failure.Kind, j.Failure.Message)
		if j.Failure.Hint != "" {
			line("hint: %s", j.Failure.Hint)
		}
	case j.Method != "":
		line("%s returned %s", j.Method, j.ReturnValue.String())
	}
	for i, e := range j.Errors {
		if e == nil {
			continue
		}
		line("CIM_Error %d: MessageID %s, PerceivedSeverity %s, CIMStatusCode %s: %s",
			i+1, e.MessageID, e.PerceivedSeverity.String(), e.CIMStatusCode.String(), e.Message)
		if i == 0 {
			out.Type = "CIM_Error"
			msg = e.Message
			if e.MessageID != "" {
				msg = e.MessageID + ": " + msg
			}
		}
	}
	for _, n := range j.Notes {
		line("note: %s", n)
	}
	out.Message, out.Text = oneLine(msg), strings.Join(text, "\n")
	return junitCase{Classname: host, Name: name, Time: "0", Failure: out}
}

func (f *fleetJUnit) Done(fleet.Summary) error {
	doc := junitSuites{Name: "cimjob " + string(f.cmd), Time: junitTime(f.total), Suites: f.suites}
	for _, s := range f.suites {
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
	}
	if _, err := io.WriteString(f.w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(f.w)
	enc.Indent("", "  ")
	if err := enc.Encode(&doc); err != nil {
		return err
	}
	_, err := io.WriteString(f.w, "\n")
	return err
}

// junitTime is a duration in seconds, as JUnit's time attributes are.
func junitTime(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }
