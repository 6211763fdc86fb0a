package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/fleet"
	"github.com/cimjob/cimjob/internal/pywinrmtest"
	"github.com/cimjob/cimjob/internal/testdeps"
	"github.com/cimjob/cimjob/wsman"
)

// fleetSecret stands for a password of the configuration: it is put
// wherever a careless writer could pick it up (the URL's user info, error
// text, messages) and must reach no metric label.
const fleetSecret = "Hunter2-S3cret"

// hostile is text a host may send: markup, a terminal escape, control
// characters, invalid UTF-8.
const hostile = "<b>&amp;\"'</b> \x1b[31mred\x1b[0m\x00\x07\r\ntail\xff"

func enumOf(m cim.ValueMap, v uint64) *cim.Enum { e := m.Lookup(v); return &e }

func u64(v uint64) *uint64 { return &v }

func datetime(t *testing.T, s string) *cim.Datetime {
	t.Helper()
	d, err := cim.ParseDatetime(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// listedJob builds a listed Hyper-V job.
func fleetListed(t *testing.T, id, name string, state, typ uint64, code uint64, desc string) job.Listed {
	p := job.HyperV()
	return job.Listed{
		Ref: job.Ref{Profile: p, InstanceID: id},
		Properties: &job.Properties{
			ElementName:      name,
			JobState:         enumOf(p.JobStateMap, state),
			JobType:          enumOf(p.JobTypeMap, typ),
			PercentComplete:  u64(100),
			ErrorCode:        u64(code),
			ErrorDescription: desc,
			StartTime:        datetime(t, "20261129201500.000000+000"),
			ElapsedTime:      datetime(t, "00000000000012.500000:000"),
		},
	}
}

// fleetResults is the fixed set of hosts the writers' tests write: healthy,
// failed (a job with errors, a vanished job, a job whose error method
// failed), unreachable with a fault, unreachable with a refused
// connection; each with the fields of every command (Identity, Jobs,
// FailedJobs), as each writer picks what its command shows.
func fleetResults(t *testing.T) []*fleet.HostResult {
	start := time.Date(2026, 11, 29, 20, 30, 0, 0, time.UTC)
	id := &wsman.Identity{ProtocolVersion: "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd", ProductVendor: "Microsoft Corporation", ProductVersion: "OS: 10.0.20348 SP: 0.0 Stack: 3.0"}
	hv := job.HyperV()

	running := fleetListed(t, "A1B2C3D4-0000-4000-8000-000000000001", "Backup", job.StateRunning, 94, 0, "")
	done := fleetListed(t, "A1B2C3D4-0000-4000-8000-000000000002", "Export", job.StateCompleted, 9, 0, "")
	failedStart := fleetListed(t, "A1B2C3D4-0000-4000-8000-000000000003", "Start VM web-01", job.StateException, 4, 32768, "'web-01' failed to start. "+fleetSecret)
	vanished := fleetListed(t, "A1B2C3D4-0000-4000-8000-000000000004", "Migrate db-02", job.StateException, 6, 32768, "Migration failed.")
	callFailed := fleetListed(t, "A1B2C3D4-0000-4000-8000-000000000005\x1b]0;"+hostile, hostile, job.StateKilled, 11, 1, hostile)

	errs := []*cim.Error{
		{
			Class:             "Msvm_Error",
			MessageID:         "32788",
			Message:           "'web-01' failed to start. (Virtual machine ID 4C4C4544-0038-4410-8048-B3C04F4E5631) " + fleetSecret,
			PerceivedSeverity: enumOf(cim.CIMErrorPerceivedSeverity, 5),
			CIMStatusCode:     enumOf(cim.CIMErrorCIMStatusCode, 1),
		},
		{
			Class:             "Msvm_Error",
			MessageID:         "VSM0042 " + hostile,
			Message:           "Not enough memory in the system to start the virtual machine. " + hostile,
			PerceivedSeverity: enumOf(cim.CIMErrorPerceivedSeverity, 6),
			CIMStatusCode:     enumOf(cim.CIMErrorCIMStatusCode, 1),
		},
	}
	result := &job.Result{
		Ref:         failedStart.Ref,
		Job:         failedStart.Properties,
		Method:      job.MethodGetErrorEx,
		ReturnValue: hv.ReturnMaps[job.MethodGetErrorEx].Lookup(0),
		Errors:      errs,
		Notes:       []string{},
	}
	fault := &wsman.Fault{
		Code:    wsman.QName{Space: "http://www.w3.org/2003/05/soap-envelope", Local: "Receiver"},
		Subcode: wsman.QName{Space: "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd", Local: "InternalError"},
		Reason:  "The WS-Management service cannot process the request. " + hostile,
		WSMan:   &wsman.WSManFault{Code: 2150858843, Machine: "hv03.example.com", Message: "The WS-Management service cannot process the request."},
	}
	refused := &wsman.TransportError{Op: wsman.OpDial, URL: "http://hv04.example.com:5985/wsman",
		Err: fmt.Errorf("dial tcp 192.0.2.4:5985: %w", syscall.ECONNREFUSED)}

	return []*fleet.HostResult{
		{
			Host: "hv01.example.com", URL: "http://hv01.example.com:5985/wsman", Status: fleet.Healthy,
			Identity: id, Jobs: []job.Listed{running, done},
			Start: start, Duration: 850 * time.Millisecond,
		},
		{
			Host: "hv02.example.com", URL: "https://admin:" + fleetSecret + "@hv02.example.com:5986/wsman", Status: fleet.Failed,
			Identity: id, Jobs: []job.Listed{running, failedStart, vanished, callFailed},
			FailedJobs: []fleet.FailedJob{
				{Listed: failedStart, Result: result},
				{Listed: vanished, Vanished: true},
				{Listed: callFailed, Err: &wsman.TransportError{Op: wsman.OpRead, URL: "http://hv02.example.com:5985/wsman", Err: errors.New("connection reset by peer " + hostile)}},
			},
			Start: start, Duration: 2300 * time.Millisecond,
		},
		{
			Host: "hv03.example.com", URL: "http://hv03.example.com:5985/wsman", Status: fleet.Unreachable, Err: fault,
			Start: start, Duration: 1200 * time.Millisecond,
		},
		{
			Host: "hv04.example.com\x1b[2J" + hostile, URL: "http://hv04.example.com:5985/wsman", Status: fleet.Unreachable, Err: refused,
			Start: start, Duration: 3 * time.Millisecond,
		},
	}
}

func fleetSummaryOf(rs []*fleet.HostResult) fleet.Summary {
	s := fleet.Summary{Targets: len(rs)}
	for _, r := range rs {
		switch r.Status {
		case fleet.Healthy:
			s.Healthy++
		case fleet.Failed:
			s.Failed++
		case fleet.Unreachable:
			s.Unreachable++
		}
		s.FailedJobs += len(r.FailedJobs)
	}
	return s
}

// writeFleet runs the writer of format for cmd over the fixed results.
func writeFleet(t *testing.T, format string, cmd fleetCommand) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := newFleetWriter(format, cmd, &buf, fleetStyle{})
	if err != nil {
		t.Fatal(err)
	}
	rs := fleetResults(t)
	for _, r := range rs {
		if err := w.Host(r); err != nil {
			t.Fatalf("Host: %v", err)
		}
	}
	if err := w.Done(fleetSummaryOf(rs)); err != nil {
		t.Fatalf("Done: %v", err)
	}
	return buf.Bytes()
}

var fleetOutFormats = map[string]string{"json": "json", "ndjson": "ndjson", "junit": "xml", "prometheus": "prom"}

// TestFleetWritersGolden writes the fixed hosts in every machine format
// for every command and compares with golden files (-update rewrites them).
func TestFleetWritersGolden(t *testing.T) {
	for format, ext := range fleetOutFormats {
		for _, cmd := range []fleetCommand{cmdJobs, cmdCheck, cmdIdentify} {
			t.Run(format+"/"+string(cmd), func(t *testing.T) {
				checkGolden(t, fmt.Sprintf("fleet_%s.%s", cmd, ext), string(writeFleet(t, format, cmd)))
			})
		}
	}
}

// TestFleetJSONShape checks what scripts rely on: the document's fields,
// the HOST fields per status, the failed job as error -o json reports it,
// the vanished job, the per-job failure, and the unreachable host's
// failure object with error -o json's kind and hint.
func TestFleetJSONShape(t *testing.T) {
	var doc struct {
		SchemaVersion int    `json:"schemaVersion"`
		Command       string `json:"command"`
		Hosts         []struct {
			Host, URL, Status string
			DurationSeconds   float64 `json:"durationSeconds"`
			Failure           *failure
			Identity          *identityReport
			Jobs              []map[string]json.RawMessage
		}
		Summary fleetSummary
	}
	if err := json.Unmarshal(writeFleet(t, "json", cmdCheck), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.SchemaVersion != 1 || doc.Command != "check" || len(doc.Hosts) != 4 {
		t.Fatalf("schemaVersion %d, command %q, %d hosts", doc.SchemaVersion, doc.Command, len(doc.Hosts))
	}
	want := fleetSummary{Targets: 4, Healthy: 1, Failed: 1, Unreachable: 2, FailedJobs: 3}
	if doc.Summary != want {
		t.Errorf("summary %+v, want %+v", doc.Summary, want)
	}
	h0, h1, h2, h3 := doc.Hosts[0], doc.Hosts[1], doc.Hosts[2], doc.Hosts[3]
	if h1.URL != "https://hv02.example.com:5986/wsman" {
		t.Errorf("url %q, want it without its user info (a password)", h1.URL)
	}
	if h0.Status != "healthy" || h0.Jobs == nil || len(h0.Jobs) != 0 || h0.Failure != nil {
		t.Errorf("healthy host: %+v", h0)
	}
	if h1.Status != "failed" || len(h1.Jobs) != 3 || h1.DurationSeconds != 2.3 {
		t.Fatalf("failed host: %+v", h1)
	}
	var errs []*cim.Error
	if err := json.Unmarshal(h1.Jobs[0]["errors"], &errs); err != nil || len(errs) != 2 || errs[0].MessageID != "32788" {
		t.Errorf("failed job's errors: %s (%v)", h1.Jobs[0]["errors"], err)
	}
	for _, k := range []string{"job", "method", "returnValue", "errors", "notes"} {
		if _, ok := h1.Jobs[0][k]; !ok {
			t.Errorf("failed job lacks %q: %v", k, h1.Jobs[0])
		}
	}
	if string(h1.Jobs[1]["vanished"]) != "true" || !strings.Contains(string(h1.Jobs[1]["notes"]), "gone") {
		t.Errorf("vanished job: %v", h1.Jobs[1])
	}
	var jf failure
	if err := json.Unmarshal(h1.Jobs[2]["failure"], &jf); err != nil || jf.Kind != "transport" {
		t.Errorf("job whose error method failed: %s", h1.Jobs[2]["failure"])
	}
	if h2.Status != "unreachable" || h2.Failure == nil || h2.Failure.Kind != "fault" || h2.Failure.Fault == nil || h2.Failure.Fault.WSManCode != 2150858843 {
		t.Errorf("unreachable host with a fault: %+v", h2.Failure)
	}
	// The same object and hint as error -o json's.
	if h3.Failure == nil || h3.Failure.Hint == "" || *h3.Failure != *newFailure(fleetResults(t)[3].Err) {
		t.Errorf("refused host's failure %+v, want error -o json's with its hint", h3.Failure)
	}
}

// TestFleetNDJSONStreams checks that each host is written, and flushed,
// as one line when it finishes, before the run is done, and that Done
// adds nothing.
func TestFleetNDJSONStreams(t *testing.T) {
	var sink bytes.Buffer
	bw := bufio.NewWriterSize(&sink, 1<<20) // would hold everything if not flushed
	w, err := newFleetWriter("ndjson", cmdCheck, bw, fleetStyle{})
	if err != nil {
		t.Fatal(err)
	}
	rs := fleetResults(t)
	for i, r := range rs {
		if err := w.Host(r); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(sink.String(), "\n"), "\n")
		if len(lines) != i+1 {
			t.Fatalf("after host %d: %d lines written", i+1, len(lines))
		}
		var h map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &h); err != nil || h["url"] != withoutUserInfo(r.URL) {
			t.Fatalf("line %d: %q (%v)", i+1, lines[i], err)
		}
	}
	before := sink.Len()
	if err := w.Done(fleetSummaryOf(rs)); err != nil {
		t.Fatal(err)
	}
	bw.Flush()
	if sink.Len() != before {
		t.Errorf("Done wrote %q", sink.String()[before:])
	}
}

// TestFleetJUnitEscapes checks that hostile host text neither breaks the
// XML nor carries control characters into it.
func TestFleetJUnitEscapes(t *testing.T) {
	out := writeFleet(t, "junit", cmdCheck)
	if bytes.ContainsAny(out, "\x00\x07\x1b\r") || bytes.Contains(out, []byte("<b>")) {
		t.Errorf("junit output carries host text unescaped:\n%s", out)
	}
}

// junitParser is the Python module the JUnit test reads the output with.
var junitParser = pywinrmtest.Module{Import: "junitparser", Package: "python3-junitparser"}

// TestFleetJUnitParses reads the JUnit output with python3-junitparser
// and checks the suites, cases, failures and errors it counts.
func TestFleetJUnitParses(t *testing.T) {
	testdeps.CheckCIInstalls(t, junitParser.Package)
	py := pywinrmtest.Need(t, junitParser)
	path := t.TempDir() + "/junit.xml"
	if err := os.WriteFile(path, writeFleet(t, "junit", cmdCheck), 0o600); err != nil {
		t.Fatal(err)
	}
	const script = `
import sys
from junitparser import JUnitXml, Failure, Error
xml = JUnitXml.fromfile(sys.argv[1])
suites = list(xml)
print("suites", len(suites))
print("total", xml.tests, xml.failures, xml.errors)
for s in suites:
    cases = list(s)
    f = sum(1 for c in cases for r in c.result if isinstance(r, Failure))
    e = sum(1 for c in cases for r in c.result if isinstance(r, Error))
    print("suite", len(cases), f, e, s.tests, s.failures, s.errors)
for s in suites:
    for c in s:
        for r in c.result:
            if isinstance(r, Failure):
                print("failure", c.classname, "|", c.name, "|", r.message)
`
	cmd := exec.Command(py, "-c", script, path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("junitparser: %v\n%s", err, out)
	}
	got := string(out)
	for _, want := range []string{
		"suites 4\n",
		"total 6 3 2\n",
		"suite 1 0 0 1 0 0\n", // healthy: one passing case
		"suite 3 3 0 3 3 0\n", // failed: a case per failed job
		"suite 1 0 1 1 0 1\n", // unreachable: one error case (twice)
		"failure hv02.example.com | A1B2C3D4-0000-4000-8000-000000000003 Start VM web-01 | 32788: 'web-01' failed to start.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("junitparser output lacks %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "suite 1 0 1 1 0 1\n"); n != 2 {
		t.Errorf("%d unreachable suites, want 2:\n%s", n, got)
	}
}

const promtoolPackage = "prometheus"

func needPromtool(t *testing.T) string {
	t.Helper()
	testdeps.CheckCIInstalls(t, promtoolPackage)
	path, err := exec.LookPath("promtool")
	if err != nil {
		testdeps.Missing(t, fmt.Errorf("no promtool on PATH (Debian package %s): %v", promtoolPackage, err))
	}
	return path
}

// TestFleetPrometheusPromtool runs `promtool check metrics` (the format
// and the naming lint) on the output of every command.
func TestFleetPrometheusPromtool(t *testing.T) {
	promtool := needPromtool(t)
	for _, cmd := range []fleetCommand{cmdJobs, cmdCheck, cmdIdentify} {
		t.Run(string(cmd), func(t *testing.T) {
			c := exec.Command(promtool, "check", "metrics")
			c.Stdin = bytes.NewReader(writeFleet(t, "prometheus", cmd))
			if out, err := c.CombinedOutput(); err != nil {
				t.Errorf("promtool check metrics: %v\n%s", err, out)
			}
		})
	}
}

// labelValue is what a label value may be: a host name as the caller
// gave it (here with its control characters replaced), a bounded
// InstanceID or MessageID, a value map's name, a number.
var labelValue = regexp.MustCompile(`^[A-Za-z0-9 ._:/{}\-\[\]<>&"';` + "\uFFFD" + `]{0,255}$`)

// TestFleetPrometheusLabels parses the output and checks every label
// value: no password, no free text (messages, descriptions, job names),
// nothing unbounded, and the series each family should have.
func TestFleetPrometheusLabels(t *testing.T) {
	out := writeFleet(t, "prometheus", cmdCheck)
	if bytes.Contains(out, []byte(fleetSecret)) {
		t.Fatalf("a secret reached the metrics:\n%s", out)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, out)
	}
	free := []string{"failed to start", "Not enough memory", "Start VM", "Backup", "Export", "Migration failed", "WS-Management", "refused"}
	series := map[string]int{}
	for name, mf := range families {
		for _, m := range mf.GetMetric() {
			series[name]++
			for _, l := range m.GetLabel() {
				v := l.GetValue()
				if l.GetName() != "host" && !labelValue.MatchString(v) || len(v) > 255 {
					t.Errorf("%s: label %s=%q is not a bounded token", name, l.GetName(), v)
				}
				for _, f := range free {
					if strings.Contains(v, f) {
						t.Errorf("%s: label %s=%q carries free text", name, l.GetName(), v)
					}
				}
				if strings.ContainsAny(v, "\x00\x07\x1b\r\n") {
					t.Errorf("%s: label %s=%q carries control characters", name, l.GetName(), v)
				}
			}
		}
	}
	want := map[string]int{
		fleet.MetricHostUp:            4,
		fleet.MetricHostProbeDuration: 4,
		fleet.MetricHostFailedJobs:    2, // hosts that answered
		fleet.MetricFailedJobInfo:     3,
		fleet.MetricJobs:              2, // hv01 healthy lists none for check; hv02: Exception/two types... see golden
	}
	for name, n := range want {
		if name == fleet.MetricJobs {
			if series[name] == 0 {
				t.Errorf("no %s series", name)
			}
			continue
		}
		if series[name] != n {
			t.Errorf("%d %s series, want %d", series[name], name, n)
		}
	}
}

// TestFleetWritersEmptyRun: a run cut short before any host finished
// still gives a valid document in every format.
func TestFleetWritersEmptyRun(t *testing.T) {
	for format := range fleetOutFormats {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := newFleetWriter(format, cmdCheck, &buf, fleetStyle{})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Done(fleet.Summary{Targets: 3, Cancelled: true}); err != nil {
				t.Fatalf("Done: %v", err)
			}
			switch format {
			case "json":
				var doc fleetDoc
				if err := json.Unmarshal(buf.Bytes(), &doc); err != nil || doc.Hosts == nil || !doc.Summary.Cancelled {
					t.Errorf("%s (%v)", buf.Bytes(), err)
				}
			case "junit":
				if !strings.Contains(buf.String(), `<testsuites name="cimjob check" tests="0" failures="0" errors="0" time="0.000"></testsuites>`) {
					t.Errorf("%s", buf.Bytes())
				}
			default:
				if buf.Len() != 0 {
					t.Errorf("%q", buf.Bytes())
				}
			}
		})
	}
}
