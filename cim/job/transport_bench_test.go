package job_test

import (
	"context"
	"io"
	"testing"

	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/simulator"
	"github.com/cimjob/cimjob/wsman"
)

// benchGetError times one GetError call on loopback against the simulator
// through a kept transport. Compare the sealed NTLM run with the Basic run
// of the same benchmark invocation: the ratio is the cost of sealing.
func benchGetError(b *testing.B, auth wsman.Authenticator) {
	sim, err := simulator.New(simulator.Options{Scenario: "default.json"})
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	tr, err := wsman.NewTransport(wsman.HTTPConfig{URL: url, Auth: auth, AllowUnencrypted: true})
	if err != nil {
		b.Fatal(err)
	}
	if c, ok := tr.(io.Closer); ok {
		defer c.Close()
	}
	client := &wsman.Client{Transport: tr, URL: url}
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
