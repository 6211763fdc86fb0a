package simulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cimjob/cimjob/internal/pywinrmtest"
	"github.com/cimjob/cimjob/internal/testca"
)

// These tests drive the simulator with pywinrm (Debian's python3-winrm), a
// WinRM client nobody here wrote: if it completes sealed and HTTPS
// exchanges with the simulator, the simulator speaks as Windows does.

// pywinrmMessage is the Message of job 01's Msvm_Error.
const pywinrmMessage = "'web-01' failed to start. (Virtual machine ID 4764334D-E001-4176-82EE-5594EC9B530E)\n\n" +
	"Not enough memory in the system to start the virtual machine 'web-01' with ram size 16384 megabytes. " +
	"(Virtual machine ID 4764334D-E001-4176-82EE-5594EC9B530E)"

type pywinrmResult struct {
	Replies  []string `json:"replies"`
	Messages []string `json:"messages"`
}

// runPywinrm runs testdata/pywinrm/send.py, bounded in time (no timing is
// asserted), and returns its report or the exit error with stderr.
func runPywinrm(t *testing.T, py string, args ...string) (pywinrmResult, []byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := pywinrmtest.Command(ctx, t, py, append([]string{"testdata/pywinrm/send.py"}, args...))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return pywinrmResult{}, stderr.Bytes(), err
	}
	var res pywinrmResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("pywinrm output %q: %v", stdout.Bytes(), err)
	}
	return res, stderr.Bytes(), nil
}

func checkPywinrmReplies(t *testing.T, res pywinrmResult, n int) {
	t.Helper()
	if len(res.Replies) != n || len(res.Messages) != n {
		t.Fatalf("%d replies, %d messages; want %d", len(res.Replies), len(res.Messages), n)
	}
	for i, r := range res.Replies {
		rep := parseReply(t, []byte(r))
		if rep.relatesTo != "uuid:7D1C2E3F-4A5B-4C6D-8E9F-0A1B2C3D4E5F" || rep.body == nil || rep.body.Tag != "GetError_OUTPUT" {
			t.Errorf("reply %d: RelatesTo %q, body %v", i, rep.relatesTo, rep.body)
		}
		if res.Messages[i] != pywinrmMessage {
			t.Errorf("reply %d: pywinrm read Message %q", i, res.Messages[i])
		}
	}
}

// NTLM with message encryption over HTTP against the host as installed.
func TestPywinrmSealedNTLM(t *testing.T) {
	py := pywinrmtest.Need(t, pywinrmtest.Winrm, pywinrmtest.RequestsNTLM)
	s, url := startSim(t, "windows-default.json")
	const calls = 3
	res, stderr, err := runPywinrm(t, py, "ntlm", url, "testdata/pywinrm/geterror.xml", "3", `user=HV03\demo`, "password=demo-password")
	if err != nil {
		t.Fatalf("pywinrm: %v\n%s", err, stderr)
	}
	checkPywinrmReplies(t, res, calls)
	st := s.Stats()
	if st.Connections != 1 || st.Handshakes != 1 || st.Sealed != calls || st.Unencrypted != 0 || st.Conns[0].User != `HV03\demo` {
		t.Errorf("connections %d, handshakes %d, sealed %d, unencrypted %d, conns %+v", st.Connections, st.Handshakes, st.Sealed, st.Unencrypted, st.Conns)
	}
}

func TestPywinrmWrongPassword(t *testing.T) {
	py := pywinrmtest.Need(t, pywinrmtest.Winrm, pywinrmtest.RequestsNTLM)
	s, url := startSim(t, "windows-default.json")
	_, stderr, err := runPywinrm(t, py, "ntlm", url, "testdata/pywinrm/geterror.xml", "1", "user=demo", "password=wrong")
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("want InvalidCredentialsError (exit 3), got %v\n%s", err, stderr)
	}
	if st := s.Stats(); st.HandshakesFailed != 1 || st.Sealed != 0 {
		t.Errorf("failed handshakes %d, sealed %d", st.HandshakesFailed, st.Sealed)
	}
}

// writeTrust writes the simulator's CA for pywinrm to trust.
func writeTrust(t *testing.T, s *Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, s.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Basic, NTLM with channel bindings and client certificates over HTTPS
// against the hardened host, pywinrm checking the server certificate
// against CertPEM.
func TestPywinrmHTTPS(t *testing.T) {
	py := pywinrmtest.Need(t, pywinrmtest.Winrm, pywinrmtest.RequestsNTLM)
	ca := testca.New(t, "client CA")
	s, url, _ := startTLSSim(t, "hardened.json", ca.Cert)
	trust := writeTrust(t, s)
	dir := t.TempDir()
	certPath, keyPath := ca.IssueFiles(t, dir, "ops@corp.example")
	tests := []struct {
		mode string
		args []string
	}{
		{"basic", []string{"user=demo", "password=demo-password"}},
		{"ntlm-https", []string{`user=HV05\demo`, "password=demo-password"}},
		{"certificate", []string{"cert=" + certPath, "key=" + keyPath}},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			args := append([]string{tt.mode, url, "testdata/pywinrm/geterror.xml", "2", "ca=" + trust}, tt.args...)
			res, stderr, err := runPywinrm(t, py, args...)
			if err != nil {
				t.Fatalf("pywinrm: %v\n%s", err, stderr)
			}
			checkPywinrmReplies(t, res, 2)
		})
	}
	st := s.Stats()
	// NTLM over HTTPS passed the Strict channel-binding check; nothing was sealed.
	if st.Handshakes != 1 || st.HandshakesFailed != 0 || st.Sealed != 0 || st.Actions[hvURI+"/GetError"] != 6 {
		t.Errorf("handshakes %d (failed %d), sealed %d, actions %v", st.Handshakes, st.HandshakesFailed, st.Sealed, st.Actions)
	}
	// pywinrm must refuse the simulator when it does not trust its CA.
	_, stderr, err := runPywinrm(t, py, "basic", url, "testdata/pywinrm/geterror.xml", "1", "user=demo", "password=demo-password",
		"ca="+certPath)
	if err == nil || !strings.Contains(string(stderr), "CERTIFICATE_VERIFY_FAILED") {
		t.Errorf("pywinrm trusted an unknown CA: %v\n%s", err, stderr)
	}
}

// pywinrm, NTLM-sealed, enumerates a generated host's failed Hyper-V jobs
// with a WQL filter, pulling three at a time, and finds exactly the jobs
// the generator made failed, subclass instances included.
func TestPywinrmEnumerateWQL(t *testing.T) {
	py := pywinrmtest.Need(t, pywinrmtest.Winrm, pywinrmtest.RequestsNTLM)
	s, url := startSimWith(t, Options{Scenario: "windows-default.json", Jobs: 80, Seed: 21, Profiles: []string{"hyperv"}, Logf: t.Logf})
	var want []string
	migration := 0
	for _, j := range s.GeneratedJobs() {
		if j.Namespace == "root/virtualization/v2" && j.Failed {
			want = append(want, j.InstanceID)
			if j.Class == "Msvm_MigrationJob" {
				migration++
			}
		}
	}
	if len(want) < 4 || migration == 0 {
		t.Fatalf("only %d failed Hyper-V jobs, %d of them migrations: the test shows little", len(want), migration)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := pywinrmtest.Command(ctx, t, py, []string{"testdata/pywinrm/enumerate.py", url, `HV03\demo`, "demo-password", v2Star,
		"SELECT * FROM Msvm_ConcreteJob WHERE JobState = 10 OR (JobState = 7 AND ErrorCode <> 0)", "3"})
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("pywinrm: %v\n%s", err, stderr.Bytes())
	}
	var res struct {
		IDs      []string `json:"ids"`
		Classes  []string `json:"classes"`
		Requests int      `json:"requests"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("%q: %v", stdout.Bytes(), err)
	}
	if strings.Join(res.IDs, ",") != strings.Join(want, ",") {
		t.Errorf("pywinrm listed %v\nwant %v", res.IDs, want)
	}
	if wantReq := (len(want) + 2) / 3; res.Requests != wantReq && res.Requests != wantReq+1 {
		t.Errorf("%d requests for %d items, MaxElements 3", res.Requests, len(want))
	}
	got := 0
	for _, c := range res.Classes {
		if c == "Msvm_MigrationJob" {
			got++
		}
	}
	if got != migration {
		t.Errorf("%d Msvm_MigrationJob items, want %d", got, migration)
	}
	st := s.Stats()
	if st.Handshakes != 1 || st.Sealed != res.Requests || s.OpenEnumerations() != 0 {
		t.Errorf("handshakes %d, sealed %d (requests %d), open contexts %d", st.Handshakes, st.Sealed, res.Requests, s.OpenEnumerations())
	}
}
