package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cimjob/cimjob/simulator"
)

// startFleet starts a simulated fleet for one test and writes its hosts
// file, returning the fleet and the file's path.
func startFleet(t *testing.T, opt simulator.FleetOptions) (*simulator.Fleet, string) {
	t.Helper()
	f, err := simulator.NewFleet(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	var b strings.Builder
	for _, h := range f.Hosts() {
		fmt.Fprintf(&b, "%s # %s\n", h.URL, h.Behaviour)
	}
	path := filepath.Join(t.TempDir(), "hosts.txt")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return f, path
}

// TestFleetExitCodes runs jobs, check, identify and wait end to end
// against simulated fleets and checks every exit code they can give.
func TestFleetExitCodes(t *testing.T) {
	normal, normalFile := startFleet(t, simulator.FleetOptions{Hosts: 3, Jobs: 40})
	_, dropFile := startFleet(t, simulator.FleetOptions{Hosts: 2, Jobs: 4, Drop: 1})
	_, authFile := startFleet(t, simulator.FleetOptions{Hosts: 2, Jobs: 4, AuthFail: 1})
	_, mixedFile := startFleet(t, simulator.FleetOptions{Hosts: 4, Jobs: 12, Hang: 0.25, Drop: 0.25, AuthFail: 0.25})

	var failed, running string
	host := normal.Hosts()[0]
	for _, j := range host.Server.GeneratedJobs() {
		switch {
		case j.Failed && failed == "" && j.Class == "Msvm_ConcreteJob":
			failed = j.InstanceID
		case !j.Failed && j.JobState == 7 && running == "" && j.Class == "Msvm_ConcreteJob":
			running = j.InstanceID // Completed without error
		}
	}
	if failed == "" || running == "" {
		t.Fatalf("fleet host 1 lacks a failed or a completed Hyper-V job: %+v", host.Server.GeneratedJobs())
	}
	hostArg := strings.TrimSuffix(strings.TrimPrefix(host.URL, "http://"), "/wsman")

	cases := []struct {
		name string
		args []string
		want int
	}{
		{"identify, all answer", []string{"identify", "--hosts-file", normalFile}, exitOK},
		{"jobs, all answer, none failed", []string{"jobs", "--hosts-file", normalFile, "--state", "running"}, exitOK},
		{"jobs, all answer, a failed job", []string{"jobs", "--hosts-file", normalFile}, exitJobFailed},
		{"check, all answer, failed jobs", []string{"check", "--hosts-file", normalFile}, exitJobFailed},
		{"check, every host drops", []string{"check", "--hosts-file", dropFile}, exitNoAnswer},
		{"identify, every host refuses the password", []string{"identify", "--hosts-file", authFile}, exitNoAnswer},
		{"check, hang, drop and auth-fail hosts among good ones", []string{"check", "--hosts-file", mixedFile, "--timeout", "2s"}, exitSomeNoAnswer},
		{"jobs, hang, drop and auth-fail hosts among good ones", []string{"jobs", "--hosts-file", mixedFile, "--timeout", "2s"}, exitSomeNoAnswer},
		{"identify, hang, drop and auth-fail hosts among good ones", []string{"identify", "--hosts-file", mixedFile, "--timeout", "2s"}, exitSomeNoAnswer},
		{"check, bad --parallel", []string{"check", "--hosts-file", normalFile, "--parallel", "0"}, exitUsage},
		{"check, no host", []string{"check"}, exitUsage},
		{"check, unknown -o", []string{"check", "--hosts-file", normalFile, "-o", "xml"}, exitUsage},
		{"wait, failed job", []string{"wait", "--host", hostArg, "--job", failed}, exitJobFailed},
		{"wait, completed job", []string{"wait", "--host", hostArg, "--job", running}, exitOK},
		{"wait, no such job", []string{"wait", "--host", hostArg, "--job", "00000000-0000-4000-8000-000000000000"}, exitNoAnswer},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, demoEnv(), tc.args...)
			if r.code != tc.want {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.want, r.stdout, r.stderr)
			}
		})
	}
}

// TestCheckReportsExactlyTheFailedJobs checks that check's text output
// names every failed job of every host, and no other job.
func TestCheckReportsExactlyTheFailedJobs(t *testing.T) {
	f, file := startFleet(t, simulator.FleetOptions{Hosts: 3, Jobs: 30})
	r := runCLI(t, demoEnv(), "check", "--hosts-file", file, "--profile", "hyperv")
	if r.code != exitJobFailed {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	n := 0
	for _, h := range f.Hosts() {
		for _, j := range h.Server.GeneratedJobs() {
			if j.Namespace != "root/virtualization/v2" { // Msvm_ConcreteJob and its subclasses
				continue
			}
			header := "== " + h.URL + ": " + j.InstanceID
			if got := strings.Contains(r.stdout, header); got != j.Failed {
				t.Errorf("%s (failed %v): in the report: %v", j.InstanceID, j.Failed, got)
			}
			if j.Failed {
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("the fleet has no failed Hyper-V job: the test proves nothing")
	}
	if want := fmt.Sprintf("%d failed jobs.", n); !strings.Contains(r.stdout, want) {
		t.Errorf("summary lacks %q:\n%s", want, r.stdout)
	}
	if strings.Contains(r.stdout, "\x1b[") {
		t.Error("colour off a terminal")
	}
}

// TestFleetUnreachableLine checks that a host that did not answer is
// listed with its failure and hint, and the others still reported.
func TestFleetUnreachableLine(t *testing.T) {
	_, file := startFleet(t, simulator.FleetOptions{Hosts: 4, Jobs: 4, Hang: 0.25, AuthFail: 0.25})
	r := runCLI(t, demoEnv(), "identify", "--hosts-file", file, "--timeout", "1s")
	if r.code != exitSomeNoAnswer {
		t.Fatalf("exit %d, want 4\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"Hosts that did not answer:", "raise --timeout", "check the user name and password", "4 hosts: 2 answered, 2 did not answer."} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "cimjob: 2 of 4 hosts did not answer") {
		t.Errorf("stderr: %q", r.stderr)
	}
}

// TestHostsFile checks the hosts file's format: comments, blank lines,
// stdin, duplicates, and a bad line named by file and line.
func TestHostsFile(t *testing.T) {
	f, _ := startFleet(t, simulator.FleetOptions{Hosts: 2, Jobs: 2})
	h := f.Hosts()
	dir := t.TempDir()
	good := fmt.Sprintf("# the fleet\n\n  %s  # first\n%s\n%s\n", h[0].URL, strings.TrimSuffix(strings.TrimPrefix(h[1].URL, "http://"), "/wsman"), h[0].URL)
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	r := runCLI(t, demoEnv(), "identify", "--hosts-file", write("good.txt", good))
	if r.code != exitOK || !strings.Contains(r.stdout, "2 hosts: 2 answered") {
		t.Fatalf("good file: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	bad := write("bad.txt", "# ok\nhv01\n\nhv02:99999\n")
	r = runCLI(t, demoEnv(), "identify", "--hosts-file", bad)
	if r.code != exitUsage || !strings.Contains(r.stderr, "bad.txt:4: ") || !strings.Contains(r.stderr, "bad port") {
		t.Fatalf("bad file: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runCLI(t, demoEnv(), "identify", "--hosts-file", write("empty.txt", "# nothing\n\n"))
	if r.code != exitUsage || !strings.Contains(r.stderr, "names no host") {
		t.Fatalf("empty file: exit %d, stderr %q", r.code, r.stderr)
	}
	var stdout, stderr bytes.Buffer
	a := testApp(&stdout, &stderr, demoEnv())
	a.stdin = strings.NewReader(h[1].URL + "\n")
	if code := a.run(context.Background(), []string{"identify", "--hosts-file", "-", "--host", h[0].URL}); code != exitOK || !strings.Contains(stdout.String(), "2 hosts: 2 answered") {
		t.Fatalf("stdin: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
}

// testApp is an app on buffers, off a terminal, with env.
func testApp(stdout, stderr io.Writer, env map[string]string) *app {
	return &app{
		stdin:  strings.NewReader(""),
		stdout: stdout,
		stderr: stderr,
		lookupEnv: func(k string) (string, bool) {
			v, ok := env[k]
			return v, ok
		},
		isTerminal:   func() bool { return false },
		readPassword: func() ([]byte, error) { return nil, fmt.Errorf("no terminal in tests") },
		readFile:     os.ReadFile,
	}
}

// cancelAt is a terminal's stderr that cancels the run once the progress
// line says done hosts are done, as Ctrl-C would.
type cancelAt struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	done   string
	cancel context.CancelFunc
}

func (c *cancelAt) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if strings.Contains(string(p), c.done) {
		c.cancel()
	}
	return c.buf.Write(p)
}

// TestFleetInterrupt cancels a run (as Ctrl-C does) while a host hangs,
// and checks that what finished is still printed, with exit 4; and that
// the progress line shows on a terminal.
func TestFleetInterrupt(t *testing.T) {
	_, file := startFleet(t, simulator.FleetOptions{Hosts: 4, Jobs: 12, Hang: 0.25})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout bytes.Buffer
	stderr := &cancelAt{done: "[3/4] hosts done, 0 unreachable", cancel: cancel}
	env := demoEnv()
	env["NO_COLOR"] = ""
	a := testApp(&stdout, new(bytes.Buffer), env)
	a.stderr = stderr
	a.isTerminal = func() bool { return true }
	code := a.run(ctx, []string{"check", "--hosts-file", file})
	if code != exitSomeNoAnswer {
		t.Fatalf("exit %d, want 4\n%s\n%q", code, stdout.String(), stderr.buf.String())
	}
	if !strings.Contains(stdout.String(), "4 hosts: 3 answered (") || !strings.Contains(stdout.String(), "1 did not answer") || !strings.Contains(stdout.String(), "cut short") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
	if !strings.Contains(stderr.buf.String(), "cimjob: interrupted: 1 of 4 hosts did not answer") {
		t.Errorf("stderr: %q", stderr.buf.String())
	}
	if strings.Contains(stdout.String(), "\x1b[") {
		t.Error("colour with NO_COLOR set")
	}
}

// TestFleetDeadline ends a run at --deadline while a host hangs.
func TestFleetDeadline(t *testing.T) {
	_, file := startFleet(t, simulator.FleetOptions{Hosts: 2, Jobs: 2, Hang: 0.5})
	r := runCLI(t, demoEnv(), "identify", "--hosts-file", file, "--deadline", "2s")
	if r.code != exitSomeNoAnswer || !strings.Contains(r.stderr, "--deadline 2s passed") || !strings.Contains(r.stdout, "Microsoft Corporation") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestFleetColour checks that a terminal without NO_COLOR gets colour.
func TestFleetColour(t *testing.T) {
	_, file := startFleet(t, simulator.FleetOptions{Hosts: 1, Jobs: 2})
	var stdout, stderr bytes.Buffer
	a := testApp(&stdout, &stderr, demoEnv())
	a.isTerminal = func() bool { return true }
	if code := a.run(context.Background(), []string{"identify", "--hosts-file", file}); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "\x1b[32mok\x1b[0m") {
		t.Errorf("no colour on a terminal:\n%q", stdout.String())
	}
	if !strings.Contains(stderr.String(), "[1/1] hosts done, 0 unreachable") {
		t.Errorf("no progress on a terminal: %q", stderr.String())
	}
}

// TestWaitProgress checks wait's progress line on a terminal (state and
// percentage) while a job runs, and that --timeout ends the wait with
// the "still running" code.
func TestWaitProgress(t *testing.T) {
	f, _ := startFleet(t, simulator.FleetOptions{Hosts: 1, Jobs: 12})
	h := f.Hosts()[0]
	var running string
	for _, j := range h.Server.GeneratedJobs() {
		if j.JobState == 4 && j.Namespace == "root/virtualization/v2" {
			running = j.InstanceID
		}
	}
	if running == "" {
		t.Fatal("no running Hyper-V job")
	}
	var stdout, stderr bytes.Buffer
	a := testApp(&stdout, &stderr, demoEnv())
	a.isTerminal = func() bool { return true }
	code := a.run(context.Background(), []string{"wait", "--host", h.URL, "--job", running, "--timeout", "1s"})
	if code != exitStillRunning {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitStillRunning, stdout.String(), stderr.String())
	}
	if want := "job " + running + ": Running (4), "; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr lacks %q: %q", want, stderr.String())
	}
}

// TestWaitTimeoutOnRunningJobSaysStillRunning: when wait's --timeout
// passes while the host answers every poll, cimjob says the job is still
// running, how far it got and to raise --timeout, in one line, with its
// own exit code; not the "no answer" of an unreachable host. -o json
// keeps the job's last state.
func TestWaitTimeoutOnRunningJobSaysStillRunning(t *testing.T) {
	f, _ := startFleet(t, simulator.FleetOptions{Hosts: 1, Jobs: 40})
	host := f.Hosts()[0]
	running := ""
	for _, j := range host.Server.GeneratedJobs() {
		if j.Class == "Msvm_ConcreteJob" && j.JobState == 4 { // Running
			running = j.InstanceID
			break
		}
	}
	if running == "" {
		t.Fatalf("no running Hyper-V job: %+v", host.Server.GeneratedJobs())
	}
	hostArg := strings.TrimSuffix(strings.TrimPrefix(host.URL, "http://"), "/wsman")
	r := runCLI(t, demoEnv(), "wait", "--host", hostArg, "--job", running, "--timeout", "2s")
	out := r.stdout + r.stderr
	if r.code != exitStillRunning || strings.Contains(out, "no answer within") ||
		!strings.Contains(r.stderr, "job "+running+" still Running (") || !strings.Contains(r.stderr, "raise --timeout") ||
		strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("wait on a running job that outlives --timeout (exit %d, want %d):\n%s", r.code, exitStillRunning, out)
	}

	r = runCLI(t, demoEnv(), "wait", "--host", hostArg, "--job", running, "--timeout", "1s", "-o", "json")
	var doc struct {
		Job struct {
			JobState struct{ Name string }
		}
		Failure struct{ Message, Hint string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("json: %v\n%s", err, r.stdout)
	}
	if r.code != exitStillRunning || doc.Job.JobState.Name != "Running" || !strings.Contains(doc.Failure.Message, "still Running") || doc.Failure.Hint != "raise --timeout" {
		t.Errorf("-o json after --timeout on a running job (exit %d): %+v\n%s", r.code, doc, r.stdout)
	}
}
