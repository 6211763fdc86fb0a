// Package pywinrmtest runs Debian's pywinrm (and python3-gssapi), the
// independent WS-Management clients that the tests check cimjob's NTLM,
// Kerberos and simulator against. It is for tests only; it knows the two
// things every such test needs: which Python has the modules, and the
// environment they need to run here.
package pywinrmtest

import (
	"context"
	_ "embed"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// SystemPython is Debian's Python, where python3-winrm and python3-gssapi
// install (a pyenv or venv Python on PATH would not see them).
const SystemPython = "/usr/bin/python3"

// opensslLegacy turns on OpenSSL 3's legacy provider: ntlm-auth, under
// pywinrm, hashes with MD4, which OpenSSL 3 keeps only there.
//
//go:embed openssl-legacy.cnf
var opensslLegacy []byte

// Need returns the Python that can import every module named. Without one
// it skips the test on a developer machine and fails it under CI, whose
// set-up (.ci/run) installs them.
func Need(t testing.TB, modules ...string) string {
	t.Helper()
	py := SystemPython
	if _, err := os.Stat(py); err != nil {
		py = "python3"
	}
	for _, m := range modules {
		if out, err := exec.Command(py, "-c", "import "+m).CombinedOutput(); err != nil {
			if os.Getenv("CI") == "" {
				t.Skipf("python module %s not available (%v: %s); see .ci/run for the Debian packages", m, err, out)
			}
			t.Fatalf("python module %s not available in CI: %v: %s", m, err, out)
		}
	}
	return py
}

// Command returns py running args under ctx, with OpenSSL's legacy
// provider on and no proxy from the environment between it and loopback.
// extraEnv is added last (KRB5_CONFIG and the like).
func Command(ctx context.Context, t testing.TB, py string, args []string, extraEnv ...string) *exec.Cmd {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "openssl-legacy.cnf")
	if err := os.WriteFile(conf, opensslLegacy, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, py, args...)
	cmd.Env = append(os.Environ(), "OPENSSL_CONF="+conf, "NO_PROXY=*", "no_proxy=*")
	cmd.Env = append(cmd.Env, extraEnv...)
	return cmd
}
