// Command rsscheck runs a fleet Check over the hosts of a hosts file, as
// cimjob check does, and prints its own peak RSS (VmHWM), so that the
// client's memory is measured apart from the simulator serving the hosts:
//
//	cimjob-sim --hosts 1000 --hosts-file-out /tmp/hosts.txt &
//	RSSCHECK_PASSWORD=demo-password go run ./fleet/testdata/rsscheck -hosts-file /tmp/hosts.txt
//
// The password comes from the environment, never the command line.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/fleet"
	"github.com/cimjob/cimjob/wsman"
)

func main() {
	hostsFile := flag.String("hosts-file", "", "file of host URLs, one per line")
	user := flag.String("user", "demo", "user name (the password is $RSSCHECK_PASSWORD)")
	parallel := flag.Int("parallel", 50, "hosts probed at once")
	timeout := flag.Duration("timeout", time.Minute, "deadline per host")
	basic := flag.Bool("basic", false, "Basic authentication instead of NTLM")
	keep := flag.Bool("keep", false, "keep every host's result to the end, as a writer of one document (-o json) does")
	flag.Parse()
	if err := run(*hostsFile, *user, *parallel, *timeout, *basic, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "rsscheck:", err)
		os.Exit(1)
	}
}

func run(hostsFile, user string, parallel int, timeout time.Duration, basic, keep bool) error {
	f, err := os.Open(hostsFile)
	if err != nil {
		return err
	}
	defer f.Close()
	password := os.Getenv("RSSCHECK_PASSWORD")
	var targets []fleet.Target
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var auth wsman.Authenticator = &wsman.NTLMAuth{Username: user, Password: password}
		if basic {
			auth = &wsman.BasicAuth{Username: user, Password: password}
		}
		targets = append(targets, fleet.Target{Name: line, Config: wsman.Config{URL: line, Auth: auth, AllowUnencrypted: basic}})
	}
	if err := sc.Err(); err != nil {
		return err
	}
	start := time.Now()
	var errs, jobErrors int
	var kept []*fleet.HostResult
	sum := fleet.Run(context.Background(), targets, fleet.Options{Parallel: parallel, HostTimeout: timeout},
		fleet.Check(job.HyperV(), job.ListOptions{}, job.Options{}),
		func(r *fleet.HostResult) {
			// A streaming writer (text, ndjson) uses the result, then
			// drops it.
			if keep {
				kept = append(kept, r)
			}
			if r.Err != nil {
				errs++
			}
			for _, fj := range r.FailedJobs {
				if fj.Result != nil {
					jobErrors += len(fj.Result.Errors)
				}
			}
		})
	_ = len(kept)
	hwm, err := peakRSS()
	if err != nil {
		return err
	}
	fmt.Printf("hosts %d: healthy %d, failed %d, unreachable %d; failed jobs %d, CIM errors %d; %.1fs; peak RSS %s\n",
		sum.Targets, sum.Healthy, sum.Failed, sum.Unreachable, sum.FailedJobs, jobErrors, time.Since(start).Seconds(), hwm)
	return nil
}

// peakRSS reads VmHWM, the process's peak resident set size.
func peakRSS() (string, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("no VmHWM in /proc/self/status")
}
