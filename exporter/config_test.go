package exporter

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/wsman"
)

func TestParseConfig(t *testing.T) {
	vars := env(map[string]string{"PW": "s3cret-value", "EMPTY": "", "USER_VAR": "corp\\svc"})
	tests := []struct {
		name, yaml string
		// err: substrings of the error, "" for none.
		err []string
		// module the ConfigError names.
		module string
	}{
		{"minimal ntlm", "modules:\n  hv:\n    username: u\n    password_env: PW\n", nil, ""},
		{"unknown key, with its line", "modules:\n  hv:\n    username: u\n    password_env: PW\n    pasword_file: x\n",
			[]string{"line 5", "unknown key pasword_file"}, "hv"},
		{"unknown top-level key", "modules: {}\nscrape: 1\n", []string{"line 2", "unknown key scrape"}, ""},
		{"literal password", "modules:\n  hv:\n    username: u\n    password: hunter2\n",
			[]string{"line 4", "no password key", "password_env", "password_file"}, "hv"},
		{"env unset names the variable", "modules:\n  hv:\n    username: u\n    password_env: CIMJOB_NOPE\n",
			[]string{"password_env CIMJOB_NOPE is not set"}, "hv"},
		{"env empty", "modules:\n  hv:\n    username: u\n    password_env: EMPTY\n", []string{"password_env EMPTY is set but empty"}, "hv"},
		{"username_env", "modules:\n  hv:\n    username_env: USER_VAR\n    password_env: PW\n", nil, ""},
		{"username_env unset", "modules:\n  hv:\n    username_env: NOUSER\n    password_env: PW\n", []string{"username_env NOUSER is not set"}, "hv"},
		{"no password", "modules:\n  hv:\n    username: u\n", []string{"needs a user", "password"}, "hv"},
		{"both password sources", "modules:\n  hv:\n    username: u\n    password_env: PW\n    password_file: f\n", []string{"keep one"}, "hv"},
		{"basic over http", "modules:\n  hv:\n    auth: basic\n    username: u\n    password_env: PW\n", []string{"in the clear", "allow_unencrypted"}, "hv"},
		{"basic over http allowed", "modules:\n  hv:\n    auth: basic\n    username: u\n    password_env: PW\n    allow_unencrypted: true\n", nil, ""},
		{"certificate over http", "modules:\n  hv:\n    auth: certificate\n    cert_file: c\n    key_file: k\n", []string{"only over https"}, "hv"},
		{"kerberos keys on ntlm", "modules:\n  hv:\n    username: u\n    password_env: PW\n    keytab: /k\n", []string{"keytab is for auth kerberos"}, "hv"},
		{"kerberos with a cache", "modules:\n  hv:\n    auth: kerberos\n    ccache: /tmp/krb5cc_1\n", nil, ""},
		{"unknown auth", "modules:\n  hv:\n    auth: digest\n", []string{`auth "digest"`}, "hv"},
		{"tls over http", "modules:\n  hv:\n    username: u\n    password_env: PW\n    tls:\n      insecure_skip_verify: true\n", []string{"tls is for scheme https", "set scheme: https, or drop tls"}, "hv"},
		{"tls ca over http", "modules:\n  hv:\n    scheme: http\n    username: u\n    password_env: PW\n    tls:\n      server_name: hv01\n", []string{"tls is for scheme https"}, "hv"},
		{"tls over https", "modules:\n  hv:\n    scheme: https\n    username: u\n    password_env: PW\n    tls:\n      server_name: hv01\n", nil, ""},
		{"unknown profile", "modules:\n  hv:\n    profile: vmware\n    username: u\n    password_env: PW\n", []string{"profile", "vmware"}, "hv"},
		{"cim without class", "modules:\n  hv:\n    profile: cim\n    username: u\n    password_env: PW\n", []string{"namespace and a class"}, "hv"},
		{"bad method", "modules:\n  hv:\n    method: GetErrors\n    username: u\n    password_env: PW\n", []string{"method"}, "hv"},
		{"bad scheme", "modules:\n  hv:\n    scheme: ftp\n    username: u\n    password_env: PW\n", []string{"scheme"}, "hv"},
		{"bad port", "modules:\n  hv:\n    port: 70000\n    username: u\n    password_env: PW\n", []string{"port 70000"}, "hv"},
		{"bad path", "modules:\n  hv:\n    path: wsman\n    username: u\n    password_env: PW\n", []string{"path"}, "hv"},
		{"bad timeout", "modules:\n  hv:\n    timeout: soon\n    username: u\n    password_env: PW\n", []string{"line 3", "not a positive duration"}, "hv"},
		{"bad size", "modules:\n  hv:\n    max_response_bytes: 2TiB\n    username: u\n    password_env: PW\n", []string{"line 3", "not a size"}, "hv"},
		{"size below the smallest", "modules:\n  hv:\n    max_response_bytes: 4095\n    username: u\n    password_env: PW\n", []string{"line 3", "not a size from 4 KiB to 1 GiB"}, "hv"},
		{"smallest size", "modules:\n  hv:\n    max_response_bytes: 4KiB\n    username: u\n    password_env: PW\n", nil, ""},
		{"failed states", "modules:\n  hv:\n    failed_states: [Killed, \"8\"]\n    username: u\n    password_env: PW\n", nil, ""},
		{"bad failed state", "modules:\n  hv:\n    failed_states: [Completed]\n    username: u\n    password_env: PW\n", []string{"failed_states", "Completed"}, "hv"},
		{"failed states by number", "modules:\n  hv:\n    failed_states: [\"9\", TERMINATED]\n    username: u\n    password_env: PW\n", nil, ""},
		{"failed state number of Exception", "modules:\n  hv:\n    failed_states: [\"10\"]\n    username: u\n    password_env: PW\n", []string{"failed_states", "10"}, "hv"},
		{"failed state number with a leading zero", "modules:\n  hv:\n    failed_states: [\"08\"]\n    username: u\n    password_env: PW\n", []string{"failed_states", "08"}, "hv"},
		{"bad target pattern", "modules:\n  hv:\n    targets: ['hv(']\n    username: u\n    password_env: PW\n", []string{"targets[0]"}, "hv"},
		// Wrapped in ^(?:...)$ it would compile, and admit anything.
		{"pattern escaping its anchors", "modules:\n  hv:\n    targets: ['hv01\\.corp\\.example)|(.*']\n    username: u\n    password_env: PW\n", []string{"targets[0]"}, "hv"},
		{"negative max_failed_jobs", "modules:\n  hv:\n    max_failed_jobs: -1\n    username: u\n    password_env: PW\n", []string{"max_failed_jobs"}, "hv"},
		{"bad module name", "modules:\n  \"a b\":\n    username: u\n    password_env: PW\n", []string{"module name"}, ""},
		{"empty module", "modules:\n  hv:\n", []string{"module is empty"}, "hv"},
		{"no modules", "modules: {}\n", []string{"no modules"}, ""},
		{"empty file", "", []string{"empty"}, ""},
		{"not a mapping", "- a\n", []string{"line 1"}, ""},
		{"bad yaml", "modules:\n  hv: [\n", []string{"line"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(tt.yaml), t.TempDir(), vars)
			if len(tt.err) == 0 {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				for _, m := range cfg.Modules {
					if m.r == nil {
						t.Error("module not resolved")
					}
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %v, want *ConfigError", err, err)
			}
			msg := err.Error()
			for _, want := range tt.err {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q lacks %q", msg, want)
				}
			}
			if ce.Module != tt.module {
				t.Errorf("error names module %q, want %q", ce.Module, tt.module)
			}
			if strings.ContainsAny(msg, "\n\r") {
				t.Errorf("error of more than one line: %q", msg)
			}
			for _, secret := range []string{"s3cret-value", "hunter2"} {
				if strings.Contains(msg, secret) {
					t.Errorf("error shows a secret: %q", msg)
				}
			}
		})
	}
}

func TestParseConfigResolves(t *testing.T) {
	y := "modules:\n  hv:\n    username: u\n    password_env: PW\n    scheme: https\n    port: 443\n    method: GetError\n    failed_states: [killed]\n    max_response_bytes: 4MiB\n    timeout: 1m30s\n"
	cfg, err := ParseConfig([]byte(y), "", env(map[string]string{"PW": "pw"}))
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Modules["hv"].r
	if !r.https || r.method != job.MethodGetError || r.maxBytes != 4<<20 || r.timeout != 90*time.Second ||
		len(r.policy.States) != 1 || r.policy.States[0] != job.StateKilled || r.maxFailed != DefaultMaxFailedJobs {
		t.Errorf("resolved %+v", r)
	}
	if a, ok := r.auth.(wsman.NTLMAuth); !ok || a.Username != "u" || a.Password != "pw" {
		t.Errorf("auth %T", r.auth)
	}
	u, err := targetURL("hv01", cfg.Modules["hv"])
	if err != nil || u != "https://hv01:443/wsman" {
		t.Errorf("targetURL = %q, %v", u, err)
	}
}

func TestLoadConfigPasswordFile(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("file-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "exporter.yml")
	if err := os.WriteFile(path, []byte("modules:\n  hv:\n    username: u\n    password_file: pw\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a := cfg.Modules["hv"].r.auth.(wsman.NTLMAuth); a.Password != "file-secret" {
		t.Error("the password file's trailing newline was kept, or the file not read")
	}

	// Readable by others: refused, saying how to fix it.
	if err := os.Chmod(pw, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadConfig(path, nil)
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Path != path || ce.Module != "hv" || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("group-readable password file: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "file-secret") {
		t.Error("the error shows the password")
	}
	// Empty.
	if err := os.WriteFile(pw, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(pw, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(path, nil); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Errorf("empty password file: %v", err)
	}
	// Missing file, and too large a configuration.
	if _, err := LoadConfig(filepath.Join(dir, "none.yml"), nil); err == nil || !strings.HasPrefix(err.Error(), "exporter config "+filepath.Join(dir, "none.yml")) {
		t.Errorf("missing file: %v", err)
	}
	big := filepath.Join(dir, "big.yml")
	if err := os.WriteFile(big, make([]byte, maxConfigBytes+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(big, nil); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("large file: %v", err)
	}
}

// FuzzParseConfig: no input panics, every error is a one-line
// *ConfigError, and a configuration accepted has resolved modules.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		"modules:\n  hv:\n    username: u\n    password_env: PW\n",
		"modules:\n  hv:\n    password: x\n",
		"modules:\n  hv:\n    auth: basic\n    scheme: https\n    username: u\n    password_env: PW\n    targets: ['hv[0-9]+']\n    timeout: 5s\n    max_response_bytes: 1MiB\n",
		"modules: [\n", "&a [*a]", "modules:\n  hv: &x\n    <<: *x\n",
	} {
		f.Add([]byte(s))
	}
	vars := env(map[string]string{"PW": "pw"})
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(data, "", vars)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T, want *ConfigError", err)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error of more than one line: %q", err.Error())
			}
			return
		}
		for name, m := range cfg.Modules {
			if m == nil || m.r == nil {
				t.Fatalf("module %q accepted unresolved", name)
			}
		}
	})
}

// A reload after a keytab or krb5.conf was replaced under the same name
// is a changed module: its kept clients, logged in with the old keys,
// are dropped, as after a changed password.
func TestFingerprintSeesKerberosFiles(t *testing.T) {
	dir := t.TempDir()
	y := []byte("modules:\n  hv:\n    auth: kerberos\n    username: svc\n    keytab: svc.keytab\n    krb5_conf: krb5.conf\n")
	fp := func(keytab, conf string) [32]byte {
		t.Helper()
		for name, content := range map[string]string{"svc.keytab": keytab, "krb5.conf": conf} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		cfg, err := ParseConfig(y, dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		return cfg.Modules["hv"].r.fingerprint
	}
	same := fp("keys-1", "conf-1")
	if fp("keys-1", "conf-1") != same {
		t.Fatal("the same files give another fingerprint")
	}
	if fp("keys-2", "conf-1") == same {
		t.Error("a replaced keytab keeps the fingerprint")
	}
	if fp("keys-1", "conf-2") == same {
		t.Error("a replaced krb5.conf keeps the fingerprint")
	}
}

// ccache is resolved against the config's directory like the other
// paths when it is a plain or FILE: path; another cache type names no
// file and is kept as written.
func TestCCacheResolved(t *testing.T) {
	dir := filepath.FromSlash("/etc/cimjob")
	for _, tc := range []struct{ ccache, want string }{
		{"krb5cc_svc", filepath.Join(dir, "krb5cc_svc")},
		{"cache/krb5cc", filepath.Join(dir, "cache/krb5cc")},
		{"FILE:krb5cc_svc", "FILE:" + filepath.Join(dir, "krb5cc_svc")},
		{"file:krb5cc_svc", "file:" + filepath.Join(dir, "krb5cc_svc")},
		{"FILE:/tmp/krb5cc_1", "FILE:/tmp/krb5cc_1"},
		{"/tmp/krb5cc_1", "/tmp/krb5cc_1"},
		{"DIR:cc", "DIR:cc"},
		{"KEYRING:persistent:1000", "KEYRING:persistent:1000"},
		{"./a:b", filepath.Join(dir, "a:b")}, // a slash before the colon: a path
	} {
		y := "modules:\n  hv:\n    auth: kerberos\n    ccache: '" + tc.ccache + "'\n"
		cfg, err := ParseConfig([]byte(y), dir, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.ccache, err)
		}
		if got := cfg.Modules["hv"].r.auth.(wsman.KerberosAuth).CCachePath; got != tc.want {
			t.Errorf("ccache %q: %q, want %q", tc.ccache, got, tc.want)
		}
	}
}
