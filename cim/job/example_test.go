package job_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"

	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/simulator"
	"github.com/cimjob/cimjob/wsman"
)

// ExampleGetErrors asks a failed Hyper-V job why it failed. The host here
// is the built-in simulator; against a real host only the URL and the
// credentials change.
func ExampleGetErrors() {
	sim, err := simulator.New(simulator.Options{Scenario: "default.json"})
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}

	t, err := wsman.NewHTTPTransport(wsman.HTTPConfig{
		URL:              url,
		Auth:             &wsman.BasicAuth{Username: "demo", Password: sim.Scenario().Users["demo"]},
		AllowUnencrypted: true, // the simulator speaks plain HTTP on loopback
	})
	if err != nil {
		log.Fatal(err)
	}
	client := &wsman.Client{Transport: t, URL: url}

	ref := job.Ref{Profile: job.HyperV(), InstanceID: "5F1E2D3C-4B5A-4000-8000-000000000002"}
	res, err := job.GetErrors(context.Background(), client, ref, job.Options{})
	if err != nil {
		log.Fatal(err) // no answer: a fault, 401, timeout, bad reply
	}
	fmt.Println("state:", res.Job.JobState)
	for _, e := range res.Errors {
		fmt.Printf("%s: %s (MessageID %s)\n", e.PerceivedSeverity, e.ProbableCause, e.MessageID)
	}

	// The failed job as an error: errors.As finds each CIM error.
	var ce *cim.Error
	if errors.As(res.Err(), &ce) {
		fmt.Println("first:", ce.FormattedMessage())
	}
	// Output:
	// state: Exception (10)
	// Major (5): Storage Capacity Problem (50) (MessageID 18350)
	// Major (5): Storage Capacity Problem (50) (MessageID 15050)
	// Degraded/Warning (3): Other (1) (MessageID 18352)
	// first: 'db-02' failed to export. (Virtual machine ID 9B1E6C0A-3F52-4C8D-A1B7-2D4E6F8A0C13)
}

// ExampleLookupProfile picks a profile by its command-line name; "cim"
// needs the namespace and class of the job.
func ExampleLookupProfile() {
	p, err := job.LookupProfile("cim", `root\StandardCimv2`, "MSFT_StorageJob")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Name, p.Namespace, p.Class, p.Methods)
	fmt.Println(p.ResourceURI())
	hv := job.HyperV()
	fmt.Println(hv.Name, hv.Methods, hv.JobStateMap)
	// Output:
	// cim root/StandardCimv2 MSFT_StorageJob [GetError]
	// http://schemas.microsoft.com/wbem/wsman/1/wmi/root/StandardCimv2/MSFT_StorageJob
	// hyperv [GetErrorEx GetError] Msvm_ConcreteJob.JobState
}

// ExampleMethod_Set reads --method once, with the standard flag package
// (pflag takes the same value); the parsed Method goes into Options.
func ExampleMethod_Set() {
	fs := flag.NewFlagSet("cimjob", flag.ContinueOnError)
	var m job.Method
	fs.Var(&m, "method", "error method: auto, GetError or GetErrorEx")
	if err := fs.Parse([]string{"--method", "geterrorex"}); err != nil {
		log.Fatal(err)
	}
	opt := job.Options{Method: m}
	fmt.Println(opt.Method)

	_, err := job.ParseMethod("KillJob")
	fmt.Println(err)
	// Output:
	// GetErrorEx
	// job: unknown method "KillJob" (want auto, GetError or GetErrorEx)
}

// ExampleFailedError shows what a caller does with a failed job: errors.As
// finds the *job.FailedError, and each *cim.Error inside it.
func ExampleFailedError() {
	inst, err := cim.ParseCIMXML([]byte(`<INSTANCE CLASSNAME="Msvm_Error">`+
		`<PROPERTY NAME="Message" TYPE="string"><VALUE>'vm01' failed to start.</VALUE></PROPERTY>`+
		`<PROPERTY NAME="MessageID" TYPE="string"><VALUE>12010</VALUE></PROPERTY>`+
		`</INSTANCE>`), cim.Limits{})
	if err != nil {
		log.Fatal(err)
	}
	ce, err := cim.NewError(inst)
	if err != nil {
		log.Fatal(err)
	}
	res := &job.Result{
		Ref:         job.Ref{Profile: job.HyperV(), InstanceID: "J1"},
		Method:      job.MethodGetErrorEx,
		ReturnValue: cim.MsvmConcreteJobGetErrorExReturnValue.Lookup(0),
		Errors:      []*cim.Error{ce},
	}

	err = res.Err()
	var failed *job.FailedError
	if errors.As(err, &failed) {
		fmt.Println("failed:", failed.Result.Ref.InstanceID, failed.Result.Method, failed.Result.ReturnValue.String())
	}
	var first *cim.Error
	if errors.As(err, &first) {
		fmt.Println("first error:", first.MessageID)
	}
	fmt.Println(err)
	// Output:
	// failed: J1 GetErrorEx Completed with No Error (0)
	// first error: 12010
	// job J1 reported 1 error: 'vm01' failed to start. (MessageID 12010)
}

// ParsePath reads a job as PowerShell shows it: a WMI object path gives the
// namespace and class; a bare InstanceID is kept as given.
func ExampleParsePath() {
	p, err := job.ParsePath(`\\HV01\root\virtualization\v2:Msvm_ConcreteJob.InstanceID="5A1E2D3C-4B5A-4000-8000-000000000001"`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Server, p.Namespace, p.Class, p.InstanceID)
	fmt.Println(job.ProfileFor(p.Namespace, p.Class).Name)

	p, _ = job.ParsePath("{5A1E2D3C-4B5A-4000-8000-000000000001}")
	fmt.Printf("%q %q\n", p.Class, p.InstanceID)
	// Output:
	// HV01 root/virtualization/v2 Msvm_ConcreteJob 5A1E2D3C-4B5A-4000-8000-000000000001
	// hyperv
	// "" "{5A1E2D3C-4B5A-4000-8000-000000000001}"
}
