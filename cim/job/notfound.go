package job

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
	// Elsewhere is where the host does hold a job by that InstanceID: in
	// another profile's class, or, for an InstanceID given as {GUID}, by
	// the GUID without braces. GetErrors fills it when it could check
	// within the call's deadline.
	Elsewhere []Ref
}

func (e *NotFoundError) Error() string {
	if len(e.Elsewhere) > 0 {
		at := e.Elsewhere[0]
		id := "it"
		if at.InstanceID != e.Ref.InstanceID {
			id = at.InstanceID
		}
		return fmt.Sprintf("job %s is not a %s in %s, but the host has %s as %s in %s (profile %s)",
			e.Ref.InstanceID, e.Ref.Profile.Class, e.Ref.Profile.Namespace,
			id, at.Profile.Class, at.Profile.Namespace, at.Profile.Name)
	}
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

// lookElsewhere checks where else the host may hold the job ref names:
// one Get per candidate (the other profiles' classes; the GUID without its
// braces), within ctx, stopping at the first found. It only informs an
// error message, so its own failures are ignored.
func lookElsewhere(ctx context.Context, c *wsman.Client, ref Ref) []Ref {
	ids := []string{ref.InstanceID}
	if id, ok := unbrace(ref.InstanceID); ok {
		ids = append(ids, id)
	}
	var tried []Ref
	for _, p := range []Profile{ref.Profile, HyperV(), MSPS()} {
		for _, id := range ids {
			cand := Ref{Profile: p, InstanceID: id}
			if sameJob(cand, ref) || containsJob(tried, cand) {
				continue
			}
			tried = append(tried, cand)
			if ctx.Err() != nil {
				return nil
			}
			if _, err := c.Get(ctx, p.ResourceURI(), wsman.Selector{Name: "InstanceID", Value: id}); err == nil {
				return []Ref{cand}
			}
		}
	}
	return nil
}

func sameJob(a, b Ref) bool {
	return a.InstanceID == b.InstanceID && sameClass(a.Profile, b.Profile)
}

func sameClass(a, b Profile) bool {
	return strings.EqualFold(a.Class, b.Class) && strings.EqualFold(a.Namespace, b.Namespace)
}

func containsJob(refs []Ref, r Ref) bool {
	for _, x := range refs {
		if sameJob(x, r) {
			return true
		}
	}
	return false
}

// unbrace returns the GUID inside "{GUID}", as event logs and some
// PowerShell output show job IDs.
func unbrace(id string) (string, bool) {
	if len(id) != 38 || id[0] != '{' || id[37] != '}' {
		return "", false
	}
	g := id[1:37]
	for i, r := range g {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return "", false
			}
		default:
			if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
				return "", false
			}
		}
	}
	return g, true
}
