package job_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/simulator"
	"github.com/cimjob/cimjob/wsman"
)

// generatedHost starts a simulated host holding Hyper-V jobs in every
// state and returns it with a client; the caller closes both.
func generatedHost() (*simulator.Server, *wsman.Client) {
	sim, err := simulator.New(simulator.Options{Scenario: "fleet.json", Jobs: 40, Seed: 1, Profiles: []string{"hyperv"}})
	if err != nil {
		log.Fatal(err)
	}
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		sim.Close()
		log.Fatal(err)
	}
	client, err := wsman.NewClient(wsman.Config{
		URL:              url,
		Auth:             &wsman.BasicAuth{Username: "demo", Password: sim.Scenario().Users["demo"]},
		AllowUnencrypted: true, // the simulator speaks plain HTTP on loopback
	})
	if err != nil {
		sim.Close()
		log.Fatal(err)
	}
	return sim, client
}

// ExampleList finds the failed jobs of a Hyper-V host without knowing
// their IDs.
func ExampleList() {
	sim, client := generatedHost()
	defer sim.Close()
	defer client.Close()

	jobs, err := job.List(context.Background(), client, job.HyperV(), job.ListOptions{Which: job.Failed})
	if err != nil {
		log.Fatal(err)
	}
	for _, j := range jobs {
		p := j.Properties
		fmt.Printf("%s %s: %s, ErrorCode %d\n", j.Ref.Profile.Class, j.Ref.InstanceID, p.JobState.Name, *p.ErrorCode)
	}
	// Output:
	// Msvm_ConcreteJob 9E3779B1-0000-4000-8000-000000000008: Exception, ErrorCode 32768
	// Msvm_ConcreteJob 9E3779B1-0000-4000-8000-000000000013: Exception, ErrorCode 32768
	// Msvm_MigrationJob 9E3779B1-0000-4000-8000-00000000001B: Completed, ErrorCode 32768
	// Msvm_ConcreteJob 9E3779B1-0000-4000-8000-00000000001E: Exception, ErrorCode 32768
}

// ExampleWait waits for a job to end and prints why it failed.
func ExampleWait() {
	sim, client := generatedHost()
	defer sim.Close()
	defer client.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ref := job.Ref{Profile: job.HyperV(), InstanceID: sim.GeneratedJobs()[8].InstanceID}
	res, err := job.Wait(ctx, client, ref, job.WaitOptions{
		Progress: func(p *job.Properties) { fmt.Println("state:", p.JobState.Name) },
	})
	if err != nil {
		log.Fatal(err) // no answer, the job vanished, or ctx ended
	}
	for _, e := range res.Errors {
		fmt.Printf("%s: %s\n", e.PerceivedSeverity, e.Message)
	}
	// Output:
	// state: Exception
	// Major (5): 'db-02' failed to export. (Virtual machine ID 9B1E6C0A-3F52-4C8D-A1B7-2D4E6F8A0C13)
	// Major (5): Failed to copy file 'E:\VMs\db-02\Virtual Hard Disks\db-02.vhdx' to 'F:\Exports\db-02\Virtual Hard Disks\db-02.vhdx': There is not enough space on the disk. (0x80070070)
	// Degraded/Warning (3): The export of 'db-02' was cancelled & the partial files in <F:\Exports\db-02> were removed.
}
