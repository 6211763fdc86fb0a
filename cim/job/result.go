package job

import (
	"fmt"
	"strings"

	"github.com/cimjob/cimjob/cim"
)

// Ref names one job instance.
type Ref struct {
	Profile    Profile
	InstanceID string
}

// Result is what a job reported about itself.
type Result struct {
	Ref Ref
	// Job holds the job's own properties; nil when they were not asked for.
	Job *Properties
	// Method is the method whose answer this is.
	Method Method
	// ReturnValue is the method's return value, named by the profile's map.
	ReturnValue cim.Enum
	// Errors are the CIM_Error instances the job reported, in order.
	Errors []*cim.Error
	// Notes say what happened on the way that a reader should know, such
	// as falling back from GetErrorEx to GetError.
	Notes []string
}

// Succeeded reports whether the job reported no error and the method
// returned 0.
func (r *Result) Succeeded() bool { return r.ReturnValue.Value == 0 && len(r.Errors) == 0 }

// Err returns nil for a job that succeeded and a *FailedError otherwise.
func (r *Result) Err() error {
	if r.Succeeded() {
		return nil
	}
	return &FailedError{Result: r}
}

// FailedError says a job failed: it reported errors, or its error method
// returned a value other than 0. errors.As finds it, and each *cim.Error it
// wraps.
type FailedError struct {
	Result *Result
}

func (e *FailedError) Error() string {
	r := e.Result
	var b strings.Builder
	fmt.Fprintf(&b, "job %s reported", r.Ref.InstanceID)
	switch len(r.Errors) {
	case 0:
		fmt.Fprintf(&b, " no error, but %s returned %s", r.Method, r.ReturnValue.String())
		return b.String()
	case 1:
		b.WriteString(" 1 error: ")
	default:
		fmt.Fprintf(&b, " %d errors, the first: ", len(r.Errors))
	}
	b.WriteString(r.Errors[0].Error())
	return b.String()
}

// Unwrap returns the job's CIM errors.
func (e *FailedError) Unwrap() []error {
	errs := make([]error, len(e.Result.Errors))
	for i, ce := range e.Result.Errors {
		errs[i] = ce
	}
	return errs
}

// Properties are the job's own properties worth showing beside its
// errors, a subset of CIM_ConcreteJob's. NULL properties are nil or empty.
type Properties struct {
	ElementName             string
	JobState                *cim.Enum
	JobType                 *cim.Enum
	OperationalStatus       []cim.Enum
	PercentComplete         *uint64
	ErrorCode               *uint64
	ErrorDescription        string
	ErrorSummaryDescription string
	JobStatus               string
	StartTime               *cim.Datetime
	ElapsedTime             *cim.Datetime
	TimeOfLastStateChange   *cim.Datetime
	// Instance is the whole instance as the host sent it.
	Instance *cim.Instance
}
