package simulator_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cimjob/cimjob/simulator"
	"github.com/cimjob/cimjob/wsman"
)

// cimjob's own client (wsman.Client.Enumerate) lists a generated host's
// jobs through the simulator, paged and filtered, as cimjob jobs will.
func TestClientEnumerate(t *testing.T) {
	f, err := simulator.NewFleet(simulator.FleetOptions{Hosts: 1, Jobs: 45, Seed: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := f.Hosts()[0]
	tr, err := wsman.NewHTTPTransport(wsman.HTTPConfig{URL: h.URL, Auth: wsman.BasicAuth{Username: "demo", Password: "demo-password"}, AllowUnencrypted: true})
	if err != nil {
		t.Fatal(err)
	}
	c := &wsman.Client{Transport: tr, URL: h.URL}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tests := []struct {
		uri  string
		opt  wsman.EnumerateOptions
		keep func(simulator.GeneratedJob) bool
	}{
		{"http://schemas.microsoft.com/wbem/wsman/1/wmi/root/msps/Msps_ProvisioningJob", wsman.EnumerateOptions{Optimize: true, MaxElements: 4},
			func(j simulator.GeneratedJob) bool { return j.Class == "Msps_ProvisioningJob" }},
		{"http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/*", wsman.EnumerateOptions{Filter: "SELECT * FROM CIM_ConcreteJob WHERE JobState = 10 OR (JobState >= 7 AND JobState <= 9 AND ErrorCode <> 0)", Optimize: true, MaxElements: 2},
			func(j simulator.GeneratedJob) bool { return j.Namespace == "root/cimv2" && j.Failed }},
		{"http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/Msvm_ConcreteJob", wsman.EnumerateOptions{MaxElements: 5},
			func(j simulator.GeneratedJob) bool { return j.Namespace == "root/virtualization/v2" }},
	}
	for _, tc := range tests {
		t.Run(tc.uri[strings.LastIndex(tc.uri, "/")+1:], func(t *testing.T) {
			insts, err := c.Enumerate(ctx, tc.uri, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			var got, want []string
			for _, in := range insts {
				p := in.Property("InstanceID")
				if p == nil || len(p.Values) != 1 {
					t.Fatalf("instance without InstanceID: %+v", in)
				}
				got = append(got, p.Values[0].Text)
			}
			for _, j := range h.Server.GeneratedJobs() {
				if tc.keep(j) {
					want = append(want, j.InstanceID)
				}
			}
			sort.Strings(got)
			sort.Strings(want)
			if len(want) == 0 || strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("got %v\nwant %v", got, want)
			}
		})
	}
	if n := h.Server.OpenEnumerations(); n != 0 {
		t.Errorf("%d enumeration contexts left open", n)
	}
}
