package main

import (
	"encoding/json"
	"errors"
	"io"
	"net/url"

	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/wsman"
)

// schemaVersion is the version of the JSON document `cimjob error -o json`
// prints. It changes only when a field is removed or changes meaning;
// adding fields does not change it. The README documents the schema.
const schemaVersion = 1

type report struct {
	SchemaVersion int          `json:"schemaVersion"`
	Host          string       `json:"host"`
	Job           jobReport    `json:"job"`
	Method        string       `json:"method,omitempty"`
	ReturnValue   *cim.Enum    `json:"returnValue"`
	Succeeded     bool         `json:"succeeded"`
	Errors        []*cim.Error `json:"errors"`
	Notes         []string     `json:"notes"`
	Failure       *failure     `json:"failure,omitempty"`
}

type jobReport struct {
	Profile                 string        `json:"profile"`
	Namespace               string        `json:"namespace"`
	Class                   string        `json:"class"`
	InstanceID              string        `json:"instanceID"`
	ElementName             string        `json:"elementName,omitempty"`
	JobState                *cim.Enum     `json:"jobState,omitempty"`
	JobType                 *cim.Enum     `json:"jobType,omitempty"`
	OperationalStatus       []cim.Enum    `json:"operationalStatus,omitempty"`
	PercentComplete         *uint64       `json:"percentComplete,omitempty"`
	ErrorCode               *uint64       `json:"errorCode,omitempty"`
	ErrorDescription        string        `json:"errorDescription,omitempty"`
	ErrorSummaryDescription string        `json:"errorSummaryDescription,omitempty"`
	StartTime               *cim.Datetime `json:"startTime,omitempty"`
	ElapsedTime             *cim.Datetime `json:"elapsedTime,omitempty"`
}

// failure is what went wrong when no answer came: kind is one of
// "fault", "auth", "transport", "http", "response", "decode", "other".
type failure struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	// Hint is what to do, when the cause is recognisable (see hint).
	Hint  string       `json:"hint,omitempty"`
	Fault *faultReport `json:"fault,omitempty"`
}

type faultReport struct {
	Code      string     `json:"code"`
	Subcode   string     `json:"subcode,omitempty"`
	Reason    string     `json:"reason,omitempty"`
	WSManCode uint32     `json:"wsmanCode,omitempty"`
	Machine   string     `json:"machine,omitempty"`
	Message   string     `json:"message,omitempty"`
	CIMError  *cim.Error `json:"cimError,omitempty"`
}

// hostOf is the host:port of the endpoint, which is how a fleet report
// names a host.
func hostOf(endpoint string) string {
	if u, err := url.Parse(endpoint); err == nil && u.Host != "" {
		return u.Host
	}
	return endpoint
}

func refReport(ref job.Ref) jobReport {
	return jobReport{Profile: ref.Profile.Name, Namespace: ref.Profile.Namespace, Class: ref.Profile.Class, InstanceID: ref.InstanceID}
}

func newReport(endpoint string, res *job.Result) *report {
	r := &report{
		SchemaVersion: schemaVersion,
		Host:          hostOf(endpoint),
		Job:           refReport(res.Ref),
		Method:        res.Method.String(),
		ReturnValue:   &res.ReturnValue,
		Succeeded:     res.Succeeded(),
		Errors:        res.Errors,
		Notes:         res.Notes,
	}
	if r.Errors == nil {
		r.Errors = []*cim.Error{}
	}
	if r.Notes == nil {
		r.Notes = []string{}
	}
	r.Job.setProperties(res.Job)
	return r
}

// jobOf is the job object of a listed job (the fleet writers' jobs).
func jobOf(l job.Listed) jobReport {
	j := refReport(l.Ref)
	j.setProperties(l.Properties)
	return j
}

// setProperties fills in the job's own properties; p may be nil.
func (r *jobReport) setProperties(p *job.Properties) {
	if p == nil {
		return
	}
	r.ElementName = p.ElementName
	r.JobState = p.JobState
	r.JobType = p.JobType
	r.OperationalStatus = p.OperationalStatus
	r.PercentComplete = p.PercentComplete
	r.ErrorCode = p.ErrorCode
	r.ErrorDescription = p.ErrorDescription
	r.ErrorSummaryDescription = p.ErrorSummaryDescription
	r.StartTime = p.StartTime
	r.ElapsedTime = p.ElapsedTime
}

func failureReport(endpoint string, ref job.Ref, err error) *report {
	return &report{
		SchemaVersion: schemaVersion,
		Host:          hostOf(endpoint),
		Job:           refReport(ref),
		Errors:        []*cim.Error{},
		Notes:         []string{},
		Failure:       newFailure(err),
	}
}

func newFailure(err error) *failure {
	fl := &failure{Kind: failureKind(err), Message: oneLine(err.Error()), Hint: hint(err)}
	var f *wsman.Fault
	if errors.As(err, &f) {
		fr := &faultReport{
			Code:     f.Code.Local,
			Subcode:  f.Subcode.Local,
			Reason:   f.Reason,
			CIMError: f.CIMError,
		}
		fr.WSManCode = f.WSManCode()
		fr.Machine = f.Machine()
		fr.Message = f.Message()
		fl.Fault = fr
	}
	return fl
}

// failureKind names the class of failure, for scripts that branch on it.
func failureKind(err error) string {
	var (
		f  *wsman.Fault
		ae *wsman.AuthError
		te *wsman.TransportError
		he *wsman.HTTPError
		re *wsman.ResponseError
		de *cim.DecodeError
	)
	switch {
	case errors.As(err, &f):
		return "fault"
	case errors.As(err, &ae):
		return "auth"
	case errors.As(err, &te):
		return "transport"
	case errors.As(err, &he):
		return "http"
	case errors.As(err, &re):
		return "response"
	case errors.As(err, &de):
		return "decode"
	default:
		return "other"
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
