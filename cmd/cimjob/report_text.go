package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/internal/termtext"
	"github.com/cimjob/cimjob/wsman"
)

// writeText prints a result for a person at a terminal: the job, then each
// error with every field that has a value, enumerations as "Name (n)".
func writeText(w io.Writer, endpoint string, res *job.Result) error {
	bw := bufio.NewWriter(w)
	p := &textWriter{w: bw}
	ref := res.Ref
	p.field(0, "Host", hostOf(endpoint))
	p.field(0, "Job", fmt.Sprintf("%s (%s in %s)", ref.InstanceID, ref.Profile.Class, ref.Profile.Namespace))
	if j := res.Job; j != nil {
		p.field(0, "Name", j.ElementName)
		p.field(0, "State", enumText(j.JobState))
		p.field(0, "Type", enumText(j.JobType))
		if len(j.OperationalStatus) > 0 {
			parts := make([]string, len(j.OperationalStatus))
			for i := range j.OperationalStatus {
				parts[i] = enumText(&j.OperationalStatus[i])
			}
			p.field(0, "Status", strings.Join(parts, ", "))
		}
		if j.PercentComplete != nil {
			p.field(0, "Progress", fmt.Sprintf("%d%%", *j.PercentComplete))
		}
		if j.StartTime != nil {
			p.field(0, "Started", j.StartTime.String())
		}
		if j.ElapsedTime != nil {
			p.field(0, "Elapsed", j.ElapsedTime.String())
		}
		if j.ErrorCode != nil && *j.ErrorCode != 0 {
			p.field(0, "ErrorCode", fmt.Sprint(*j.ErrorCode))
		}
		p.field(0, "ErrorDescription", j.ErrorDescription)
		p.field(0, "ErrorSummary", j.ErrorSummaryDescription)
	}
	p.field(0, "Method", methodText(res))
	for _, n := range res.Notes {
		p.field(0, "Note", n)
	}
	switch len(res.Errors) {
	case 0:
		if res.Succeeded() {
			p.line(0, "The job reports no error.")
		} else {
			p.line(0, "The job reports no CIM_Error, but its error method did not succeed.")
		}
	default:
		for i, e := range res.Errors {
			p.blank()
			p.line(0, fmt.Sprintf("Error %d of %d (%s)", i+1, len(res.Errors), e.Class))
			writeCIMError(p, e)
		}
	}
	if p.err != nil {
		return p.err
	}
	return bw.Flush()
}

// writeFaultText prints the CIM error a fault carries (an MSFT_WmiError
// from the WMI provider, say), which often says more than the fault's one
// line on stderr. Faults without one print nothing here.
func writeFaultText(w io.Writer, err error) error {
	var f *wsman.Fault
	if !errors.As(err, &f) || f.CIMError == nil {
		return nil
	}
	bw := bufio.NewWriter(w)
	p := &textWriter{w: bw}
	what := f.Subcode.Local
	if what == "" {
		what = f.Code.Local
	}
	if code := f.WSManCode(); code != 0 {
		what = fmt.Sprintf("%s, %d", what, code)
	}
	p.line(0, fmt.Sprintf("The host answered with a fault (%s) carrying a %s:", what, f.CIMError.Class))
	writeCIMError(p, f.CIMError)
	if p.err != nil {
		return p.err
	}
	return bw.Flush()
}

func writeCIMError(p *textWriter, e *cim.Error) {
	p.field(1, "Message", e.FormattedMessage())
	if msg := e.FormattedMessage(); msg != e.Message && e.Message != "" {
		p.field(1, "Message (raw)", e.Message)
	}
	p.field(1, "MessageID", e.MessageID)
	for i, arg := range e.MessageArguments {
		p.field(1, fmt.Sprintf("Argument %d", i+1), arg)
	}
	p.field(1, "Severity", enumText(e.PerceivedSeverity))
	p.field(1, "ErrorType", withOther(e.ErrorType, e.OtherErrorType))
	p.field(1, "ProbableCause", enumText(e.ProbableCause))
	p.field(1, "", e.ProbableCauseDescription)
	p.field(1, "CIMStatusCode", enumText(e.CIMStatusCode))
	if e.CIMStatusCode != nil {
		// The DMTF text repeats the name ("CIM_ERR_FAILED. A general ...").
		p.field(1, "", strings.TrimPrefix(e.CIMStatusCode.Description, e.CIMStatusCode.Name+". "))
	}
	p.field(1, "", e.CIMStatusCodeDescription)
	p.field(1, "ErrorSource", e.ErrorSource)
	if e.ErrorSource != "" || e.ErrorSourceFormat != nil {
		p.field(1, "ErrorSourceFormat", withOther(e.ErrorSourceFormat, e.OtherErrorSourceFormat))
	}
	p.field(1, "OwningEntity", e.OwningEntity)
	if len(e.RecommendedActions) > 0 {
		p.line(1, "RecommendedActions:")
		for _, a := range e.RecommendedActions {
			p.line(2, "- "+a)
		}
	}
	for _, x := range e.Extra {
		p.field(1, x.Name, propertyText(&x))
	}
}

// methodText says that the value is what the error method returned, not
// what the job did: "Completed with No Error" right above the job's
// errors would otherwise read as "the job had no error".
func methodText(res *job.Result) string {
	rv := res.ReturnValue
	name := rv.Name
	if name == "" {
		name = "unlisted"
	}
	s := fmt.Sprintf("%s: return value %d (%s)", res.Method, rv.Value, name)
	if rv.Value == 0 {
		s += "; the call itself succeeded"
	}
	return s
}

func enumText(e *cim.Enum) string {
	if e == nil {
		return ""
	}
	return e.String()
}

func withOther(e *cim.Enum, other string) string {
	s := enumText(e)
	if other != "" {
		if s != "" {
			s += ": "
		}
		s += other
	}
	return s
}

func propertyText(p *cim.Property) string {
	if p.Null {
		return "(null)"
	}
	parts := make([]string, 0, len(p.Values))
	for _, v := range p.Values {
		switch {
		case v.Null:
			parts = append(parts, "(null)")
		case v.Instance != nil:
			parts = append(parts, "instance of "+v.Instance.ClassName)
		default:
			parts = append(parts, v.Text)
		}
	}
	if p.Array {
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return strings.Join(parts, "")
}

// textWriter lays out "Label: value" lines with aligned values; an empty
// label continues the previous field. Empty values are left out.
type textWriter struct {
	w   *bufio.Writer
	err error
}

const labelWidth = 20

func (p *textWriter) field(indent int, label, value string) {
	// Labels can come from the host too (vendor property names).
	label = strings.ReplaceAll(termtext.Sanitize(label), "\n", " ")
	value = strings.TrimSpace(termtext.Sanitize(value))
	if value == "" {
		return
	}
	pad := strings.Repeat("  ", indent)
	lines := strings.Split(strings.ReplaceAll(value, "\r\n", "\n"), "\n")
	for i, l := range lines {
		head := ""
		if i == 0 && label != "" {
			head = label + ":"
		}
		l = strings.TrimRight(l, " \t")
		if l == "" && head == "" {
			p.printf("\n")
			continue
		}
		p.printf("%s%-*s %s\n", pad, labelWidth-len(pad), head, l)
	}
}

func (p *textWriter) line(indent int, s string) {
	p.printf("%s%s\n", strings.Repeat("  ", indent), termtext.Sanitize(s))
}

func (p *textWriter) blank() { p.printf("\n") }

func (p *textWriter) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}
