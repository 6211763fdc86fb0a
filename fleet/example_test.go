package fleet_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sort"
	"time"

	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/fleet"
	"github.com/cimjob/cimjob/simulator"
	"github.com/cimjob/cimjob/wsman"
)

// ExampleRun checks three Hyper-V hosts for failed jobs and says why each
// failed. The hosts here are simulated, one of them hanging; against real
// hosts only the URLs and the credentials change.
func ExampleRun() {
	sim, err := simulator.NewFleet(simulator.FleetOptions{Hosts: 3, Jobs: 24, Seed: 1, Profiles: []string{"hyperv"}, Hang: 0.34})
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()

	var targets []fleet.Target
	for _, h := range sim.Hosts() {
		targets = append(targets, fleet.Target{Name: h.Name, Config: wsman.Config{
			URL:  h.URL,
			Auth: &wsman.NTLMAuth{Username: "demo", Password: "demo-password"},
		}})
	}
	var results []*fleet.HostResult
	sum := fleet.Run(context.Background(), targets, fleet.Options{Parallel: 2, HostTimeout: time.Second},
		fleet.Check(job.HyperV(), job.ListOptions{}, job.Options{}),
		// Results come as hosts finish; a real caller prints them now.
		func(r *fleet.HostResult) { results = append(results, r) })

	sort.Slice(results, func(i, j int) bool { return results[i].Host < results[j].Host })
	for _, r := range results {
		fmt.Println(r.Host, r.Status)
		if r.Err != nil {
			fmt.Println("  no answer; deadline passed:", errors.Is(r.Err, context.DeadlineExceeded))
		}
		for _, fj := range r.FailedJobs {
			e := fj.Result.Errors[0]
			fmt.Printf("  %s %s: %s, MessageID %s\n", fj.Ref.InstanceID, fj.Properties.JobState.Name, e.PerceivedSeverity, e.MessageID)
		}
	}
	fmt.Printf("%d healthy, %d failed, %d unreachable; %d failed jobs\n", sum.Healthy, sum.Failed, sum.Unreachable, sum.FailedJobs)
	// Output:
	// HV0001.fleet.example failed
	//   9E3779B1-0000-4000-8000-000000000008 Exception: Major (5), MessageID 18350
	//   9E3779B1-0000-4000-8000-000000000013 Exception: Major (5), MessageID 12030
	// HV0002.fleet.example unreachable
	//   no answer; deadline passed: true
	// HV0003.fleet.example failed
	//   9E3779B1-0002-4000-8000-000000000003 Completed: Major (5), MessageID 18350
	//   9E3779B1-0002-4000-8000-000000000006 Exception: Major (5), MessageID 12030
	//   9E3779B1-0002-4000-8000-000000000011 Exception: Major (5), MessageID 18350
	// 0 healthy, 2 failed, 1 unreachable; 5 failed jobs
}
