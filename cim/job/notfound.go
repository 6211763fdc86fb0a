package job

import (
	"errors"
	"fmt"

	"github.com/cimjob/cimjob/wsman"
)

// WS-Man fault codes a host answers for an instance it does not have.
const (
	codeInvalidSelectors    = 2150858843 // w:InvalidSelectors
	codeResourceNotFound    = 2150858752 // a:DestinationUnreachable for a missing WMI instance
	subInvalidSelectors     = "InvalidSelectors"
	subDestinationUnreached = "DestinationUnreachable"
)

// NotFoundError says the host has no job with that InstanceID: it never
// existed, or it ended and was removed (Hyper-V keeps a finished job for its
// TimeBeforeRemoval, five minutes by default). It wraps the host's fault.
type NotFoundError struct {
	Ref   Ref
	Fault *wsman.Fault
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("job %s not found on the host (a finished job is removed after its TimeBeforeRemoval, 5 minutes by default): %v",
		e.Ref.InstanceID, e.Fault)
}

func (e *NotFoundError) Unwrap() error { return e.Fault }

// notFound recognises the two shapes of "no such instance": InvalidSelectors
// (docs/wire.md, Faults), and DestinationUnreachable with the resource-not-found code,
// which a WMI lookup of a missing instance answers on some hosts.
func notFound(err error) (*wsman.Fault, bool) {
	var f *wsman.Fault
	if !errors.As(err, &f) {
		return nil, false
	}
	switch f.Subcode.Local {
	case subInvalidSelectors:
		return f, true
	case subDestinationUnreached:
		return f, f.WSManCode() == codeResourceNotFound
	}
	return f, f.WSManCode() == codeInvalidSelectors
}
