package job_test

import (
	"context"
	"testing"

	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/wsman"
)

// benchGetError times one GetError call on loopback against the simulator
// through a kept transport. Compare the sealed NTLM run with the Basic run
// of the same benchmark invocation: the ratio is the cost of sealing.
func benchGetError(b *testing.B, auth wsman.Authenticator) {
	_, client := simClient(b, "default.json", auth)
	ref := job.Ref{Profile: job.HyperV(), InstanceID: "5F1E2D3C-4B5A-4000-8000-000000000002"}
	opt := job.Options{Method: job.MethodGetErrorEx, SkipJob: true}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := job.GetErrors(context.Background(), client, ref, opt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetErrorExBasicHTTP(b *testing.B) {
	benchGetError(b, &wsman.BasicAuth{Username: "demo", Password: "demo-password"})
}

func BenchmarkGetErrorExNTLMSealedHTTP(b *testing.B) {
	benchGetError(b, wsman.NTLMAuth{Username: "demo", Password: "demo-password"})
}
