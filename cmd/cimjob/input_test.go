package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cimjob/cimjob/wsman"
)

// TestBadInputIsUsage: a flag value cimjob cannot use ends in exit 2 with
// one line that names the flag, before anything is sent, and never echoes a
// password given in --host.
func TestBadInputIsUsage(t *testing.T) {
	sim, host := startSim(t, "default.json")
	emptyFile := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(emptyFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	limit := strconv.FormatInt(wsman.MaxReplyBytesLimit, 10)
	tests := []struct {
		name    string
		args    []string // after "error"; --host and --job are added unless given
		want    string   // in stderr
		notWant string   // never in stderr or stdout
	}{
		// Finding 5: the body cap must stay in a range where limit+slack
		// cannot overflow.
		{"body cap int64 max", []string{"--max-response-bytes", "9223372036854775807"}, limit, ""},
		{"body cap overflowing with the seal slack", []string{"--max-response-bytes", "9223372036854771713"}, limit, ""},
		{"body cap one above the limit", []string{"--max-response-bytes", strconv.FormatInt(wsman.MaxReplyBytesLimit+1, 10)}, limit, ""},
		{"body cap below the minimum", []string{"--max-response-bytes", "100"}, "--max-response-bytes", ""},
		{"body cap zero", []string{"--max-response-bytes", "0"}, "--max-response-bytes", ""},

		// Finding 6: values XML cannot carry, and blank ones.
		{"control character in job", []string{"--job", "a\x01b"}, "--job", ""},
		{"control character in job, json", []string{"--job", "a\x01b", "-o", "json"}, "--job", ""},
		{"invalid UTF-8 in job", []string{"--job", "a\xffb"}, "--job", ""},
		{"blank job", []string{"--job", "   "}, "--job", ""},
		{"newline in job", []string{"--job", "5F1E2D3C\n"}, "--job", ""},
		{"non-character in job", []string{"--job", "a\uffffb", "-o", "json"}, "--job", ""},
		{"invalid UTF-8 in namespace", []string{"--profile", "cim", "--namespace", "root/\xff", "--class", "Msvm_ConcreteJob"}, "--namespace", ""},
		{"escape in namespace", []string{"--namespace", "root/\x1b[31mvirt"}, "--namespace", ""},
		{"blank namespace", []string{"--namespace", " "}, "--namespace", ""},
		{"DEL in class", []string{"--class", "Msvm\x7f"}, "--class", ""},
		{"invalid UTF-8 in class", []string{"--class", "Msvm\xc3"}, "--class", ""},
		{"blank class", []string{"--class", "\t"}, "--class", ""},

		// --host that cannot name a host, or that conflicts with --https.
		{"invalid UTF-8 in host", []string{"--host", "hv01\xff", "--retries", "0"}, "--host", ""},
		{"escape in host", []string{"--host", "hv01\x1b[2J", "--retries", "0"}, "--host", ""},
		{"space in host", []string{"--host", "hv 01", "--retries", "0"}, "--host", ""},
		{"invalid UTF-8 in host URL", []string{"--host", "http://hv01\xff:5985/wsman", "--retries", "0"}, "--host", ""},
		{"http URL with --https", []string{"--host", "http://" + host, "--https"}, "--https", ""},
		{"URL with bad port", []string{"--host", "http://hv01:99999/wsman"}, "port", ""},
		{"URL with an empty port", []string{"--host", "http://hv01:/", "--retries", "0"}, "drop the ':'", ""},
		{"empty port", []string{"--host", "hv01:", "--retries", "0"}, "drop the ':'", ""},
		{"URL with a fragment", []string{"--host", "http://hv01:5985/wsman#x", "--retries", "0"}, "no query or fragment", ""},
		{"URL with an empty fragment", []string{"--host", "http://hv01:5985/wsman#", "--retries", "0"}, "no query or fragment", ""},
		{"URL with a query", []string{"--host", "http://hv01:5985/wsman?a=b", "--retries", "0"}, "no query or fragment", ""},
		{"URL with an empty query", []string{"--host", "http://hv01:5985/wsman?", "--retries", "0"}, "no query or fragment", ""},
		{"unbalanced bracket", []string{"--host", "[::1", "--retries", "0"}, "[::1]", ""},
		{"unbalanced closing bracket", []string{"--host", "::1]", "--retries", "0"}, "[::1]", ""},
		{"brackets around a name", []string{"--host", "[hv01]", "--retries", "0"}, "only around an IPv6 address", ""},
		{"brackets around a name, with a port", []string{"--host", "[hv01]:5985", "--retries", "0"}, "only around an IPv6 address", ""},
		{"a flag as the host", []string{"--host", "-h", "--retries", "0"}, "looks like a flag", ""},
		{"a label that starts with '-'", []string{"--host", "hv01.-corp", "--retries", "0"}, "--host", ""},
		{"an empty label", []string{"--host", "hv01..corp", "--retries", "0"}, "--host", ""},

		// Credentials never in --host, and never echoed from it.
		{"userinfo in host", []string{"--host", "user:s3cret@hv01"}, "--user", "s3cret"},
		{"userinfo in host URL", []string{"--host", "http://user:s3cret@hv01"}, "--user", "s3cret"},
		{"userinfo in a bad host URL", []string{"--host", "http://user:s3cret@hv01:port"}, "--user", "s3cret"},
		{"user in host", []string{"--host", "user@hv01"}, "--user", ""},

		// An empty --password-file is an error for every mode, not a
		// silent fall-back to the Kerberos credential cache.
		{"empty password file, kerberos", []string{"--auth", "kerberos", "--password-file", emptyFile}, "is empty", ""},
		{"empty password file, ntlm", []string{"--password-file", emptyFile}, "is empty", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := sim.Stats().Requests
			args := append([]string{"error"}, tt.args...)
			if !hasFlag(tt.args, "--host") {
				args = append(args, "--host", host)
			}
			if !hasFlag(tt.args, "--job") {
				args = append(args, "--job", failedStart)
			}
			args = append(args, "--allow-unencrypted")
			r := runCLI(t, demoEnv(), args...)
			if r.code != exitUsage {
				t.Fatalf("exit %d, want %d; stdout %q stderr %q", r.code, exitUsage, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr %q does not mention %q", r.stderr, tt.want)
			}
			if n := strings.Count(r.stderr, "\n"); n != 1 || !strings.HasPrefix(r.stderr, "cimjob: ") {
				t.Errorf("want one line on stderr, got %q", r.stderr)
			}
			// No answer was asked for, so no report of a failure to get one.
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
			if tt.notWant != "" && strings.Contains(r.stderr+r.stdout, tt.notWant) {
				t.Errorf("the output echoes %q: %q", tt.notWant, r.stderr)
			}
			if got := sim.Stats().Requests - before; got != 0 {
				t.Errorf("%d requests reached the host", got)
			}
		})
	}
}

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == name {
			return true
		}
	}
	return false
}

// TestBodyCapAtTheLimit: the largest --max-response-bytes is accepted and
// works end to end, sealed and not.
func TestBodyCapAtTheLimit(t *testing.T) {
	_, host := startSim(t, "default.json")
	limit := strconv.FormatInt(wsman.MaxReplyBytesLimit, 10)
	for _, auth := range []string{"ntlm", "basic"} {
		t.Run(auth, func(t *testing.T) {
			r := runCLI(t, demoEnv(), "error", "--host", host, "--auth", auth, "--allow-unencrypted", "--max-response-bytes", limit, "--job", failedStart)
			if r.code != exitJobFailed {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
		})
	}
}

// TestExitCodeOfInvalidValue: a value the library refuses to put in an
// envelope is the caller's to fix (exit 2), however it is wrapped, while
// other failures to get an answer stay exit 3.
func TestExitCodeOfInvalidValue(t *testing.T) {
	ive := &wsman.InvalidValueError{Where: "text of Selector", Value: "a\uffffb", Reason: "holds character U+FFFF, which XML cannot carry"}
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"bare", ive, exitUsage},
		{"as a failure to get an answer", &answerError{fmt.Errorf("reading job: %w", ive)}, exitUsage},
		{"other failure", &answerError{errors.New("connection refused")}, exitNoAnswer},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("%s: exit %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestNoFlagTakesASecret: a password on the command line is visible to
// every local user (ps, /proc) and kept in shell history, so no flag of
// any command takes one; only --password-file names where one is.
func TestNoFlagTakesASecret(t *testing.T) {
	var visit func(c *cobra.Command)
	visit = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			name := strings.ToLower(f.Name)
			for _, secret := range []string{"password", "passwd", "secret", "token"} {
				if strings.Contains(name, secret) && name != "password-file" {
					t.Errorf("%s --%s takes a secret on the command line", c.CommandPath(), f.Name)
				}
			}
		})
		for _, sub := range c.Commands() {
			visit(sub)
		}
	}
	visit((&app{}).newRootCmd())
}

// TestEmptyPasswordVariableIsUsage: CIMJOB_PASSWORD set but empty (most
// often expanded from a variable that was never set) is an error in every
// auth mode, before anything is sent: with Kerberos it used to fall back
// silently to the credential cache, whose tickets may be someone else's.
func TestEmptyPasswordVariableIsUsage(t *testing.T) {
	sim, host := startSim(t, "default.json")
	passwordFile := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(passwordFile, []byte(demoPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args []string // after "error --host HOST --job ID"
	}{
		{"ntlm", nil},
		{"negotiate", []string{"--auth", "negotiate"}},
		{"basic", []string{"--auth", "basic", "--allow-unencrypted"}},
		{"kerberos", []string{"--auth", "kerberos"}},
		{"kerberos with a keytab", []string{"--auth", "kerberos", "--keytab", filepath.Join(t.TempDir(), "no.keytab")}},
		{"certificate", []string{"--auth", "certificate", "--https", "--cert-file", passwordFile, "--key-file", passwordFile}},
		{"ntlm with a password file", []string{"--password-file", passwordFile}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := sim.Stats().Requests
			env := map[string]string{envUser: demoUserName, envPassword: ""}
			r := runCLI(t, env, append([]string{"error", "--host", host, "--job", failedStart}, tt.args...)...)
			if r.code != exitUsage || !strings.Contains(r.stderr, envPassword+" is set but empty") || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want %d and one line saying %s is set but empty", r.code, r.stderr, exitUsage, envPassword)
			}
			if got := sim.Stats().Requests - before; got != 0 {
				t.Errorf("%d requests reached the host", got)
			}
		})
	}
}
