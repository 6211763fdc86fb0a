package job

import (
	"errors"
	"fmt"

	"github.com/cimjob/cimjob/wsman"
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

// notFound returns the fault when err says the host has no such instance
// (wsman.ErrNotFound, in either of the shapes a host uses).
func notFound(err error) (*wsman.Fault, bool) {
	var f *wsman.Fault
	if !errors.Is(err, wsman.ErrNotFound) || !errors.As(err, &f) {
		return nil, false
	}
	return f, true
}
