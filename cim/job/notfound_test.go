package job_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/wsman"
)

// TestNotFoundSaysWhereElse: a job asked in the wrong class is reported
// with the class that holds it; a {GUID} the host knows bare is used bare,
// with a note; a job nowhere is plainly not found. Each probe is one Get.
func TestNotFoundSaysWhereElse(t *testing.T) {
	sim, client := simClient(t, "default.json", wsman.NTLMAuth{Username: "demo", Password: "demo-password"})
	const (
		hvJob   = "5F1E2D3C-4B5A-4000-8000-000000000001"
		mspsJob = "9D8C7B6A-5E4F-4000-8000-000000000002"
	)
	tests := []struct {
		name      string
		ref       job.Ref
		wantAt    string // profile the error points to; "" for none
		wantFound bool
		wantReqs  int
	}{
		// Get (not found), then one Get in MSPS's class.
		{"msps job asked as hyperv", job.Ref{Profile: job.HyperV(), InstanceID: mspsJob}, "msps", false, 2},
		{"hyperv job asked as msps", job.Ref{Profile: job.MSPS(), InstanceID: hvJob}, "hyperv", false, 2},
		// Get (not found), Get bare (found), then the whole call again.
		{"braced guid", job.Ref{Profile: job.HyperV(), InstanceID: "{" + hvJob + "}"}, "", true, 4},
		// Get, then one Get per other class and form (3): none holds it.
		{"nowhere", job.Ref{Profile: job.HyperV(), InstanceID: "{00000000-0000-4000-8000-000000000000}"}, "", false, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := sim.Stats().Requests
			res, err := job.GetErrors(context.Background(), client, tt.ref, job.Options{})
			reqs := sim.Stats().Requests - before
			var nf *job.NotFoundError
			switch {
			case tt.wantFound:
				if err != nil && !errors.As(err, new(*job.FailedError)) {
					t.Fatalf("err = %v", err)
				}
				if res.Ref.InstanceID != hvJob || len(res.Notes) == 0 {
					t.Errorf("ref %q, notes %q: want the bare GUID, with a note", res.Ref.InstanceID, res.Notes)
				}
			case !errors.As(err, &nf):
				t.Fatalf("err = %v, want a *NotFoundError", err)
			case tt.wantAt == "" && len(nf.Elsewhere) != 0:
				t.Errorf("elsewhere %+v, want none", nf.Elsewhere)
			case tt.wantAt != "" && (len(nf.Elsewhere) != 1 || nf.Elsewhere[0].Profile.Name != tt.wantAt):
				t.Errorf("elsewhere %+v, want profile %s; %v", nf.Elsewhere, tt.wantAt, err)
			}
			// The first call may also carry the NTLM handshake's legs.
			if reqs < tt.wantReqs || reqs > tt.wantReqs+2 {
				t.Errorf("%d requests, want %d", reqs, tt.wantReqs)
			}
		})
	}
}
