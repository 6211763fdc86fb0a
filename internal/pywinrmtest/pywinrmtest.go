// Package pywinrmtest runs Debian's pywinrm (and python3-gssapi), the
// independent WS-Management clients that the tests check cimjob's NTLM,
// Kerberos and simulator against. It is for tests only; it knows the
// things every such test needs: which Python modules a test imports and
// the Debian packages that install them, which Python has them, and the
// environment they need to run here.
package pywinrmtest

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cimjob/cimjob/internal/testdeps"
)

// SystemPython is Debian's Python, where python3-winrm and python3-gssapi
// install (a pyenv or venv Python on PATH would not see them).
const SystemPython = "/usr/bin/python3"

// opensslLegacy turns on OpenSSL 3's legacy provider: ntlm-auth, under
// pywinrm, hashes with MD4, which OpenSSL 3 keeps only there.
//
//go:embed openssl-legacy.cnf
var opensslLegacy []byte

// Module is a Python module a test's script needs, with the Debian package
// that installs it.
type Module struct {
	Import  string // as in "import winrm"
	Package string
}

// The modules the tests' scripts need. A script needs a module when it
// imports it, or when pywinrm needs it for the transport the script asks
// for: pywinrm imports requests_ntlm and requests_kerberos only if they
// are there, and refuses transport "ntlm" or "kerberos" without them.
// python3-winrm depends on python3-requests and python3-requests-ntlm, but
// only recommends python3-requests-kerberos.
var (
	Winrm            = Module{"winrm", "python3-winrm"}
	Requests         = Module{"requests", "python3-requests"}
	RequestsNTLM     = Module{"requests_ntlm", "python3-requests-ntlm"}
	RequestsKerberos = Module{"requests_kerberos", "python3-requests-kerberos"}
	GSSAPI           = Module{"gssapi", "python3-gssapi"}
)

// Modules lists every module above, for checks that must cover them all.
var Modules = []Module{Winrm, Requests, RequestsNTLM, RequestsKerberos, GSSAPI}

// probe imports each module named on its command line and prints one line,
// "module: error", for each that fails.
const probe = `import importlib, sys
for m in sys.argv[1:]:
    try:
        importlib.import_module(m)
    except Exception as e:
        print("%s: %s" % (m, str(e).replace("\n", " ")))
`

// Need returns the Python that can import every module named. When one is
// missing it skips the test, naming the Debian packages to install; under
// CI, whose set-up (.ci/run) installs them, it fails the test instead.
func Need(t testing.TB, modules ...Module) string {
	t.Helper()
	py := SystemPython
	if _, err := os.Stat(py); err != nil {
		py = "python3"
	}
	names := make([]string, len(modules))
	for i, m := range modules {
		names[i] = m.Import
	}
	out, err := exec.Command(py, append([]string{"-c", probe}, names...)...).CombinedOutput()
	if err != nil {
		testdeps.Missing(t, fmt.Errorf("%s cannot run to import %s: %v: %s", py, strings.Join(names, ", "), err, bytes.TrimSpace(out)))
		return ""
	}
	var missing []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		for _, m := range modules {
			if strings.HasPrefix(line, m.Import+": ") {
				missing = append(missing, fmt.Sprintf("Debian package %s (python module %s: %s)", m.Package, m.Import, strings.TrimPrefix(line, m.Import+": ")))
			}
		}
	}
	if len(missing) > 0 {
		testdeps.Missing(t, fmt.Errorf("%s lacks %s", py, strings.Join(missing, "; ")))
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
