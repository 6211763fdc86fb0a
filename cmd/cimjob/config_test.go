package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/cimjob/cimjob/internal/secretfile"
)

// secretPassword is put in config files by the tests, which check that it
// never shows in any output.
const secretPassword = "Zq-secret-7781"

// writeConfig writes a config file as $XDG_CONFIG_HOME/cimjob/config.yaml
// of a fresh directory, with the given mode, and returns the directory.
func writeConfig(t *testing.T, body string, mode os.FileMode) (xdg, path string) {
	t.Helper()
	xdg = t.TempDir()
	path = filepath.Join(xdg, "cimjob", "config.yaml")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	// WriteFile's mode passes through the umask.
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return xdg, path
}

// configCmd is a command with the connection and config flags, as the
// commands that talk to hosts have, and the app to apply them with.
type configCmd struct {
	cmd   *cobra.Command
	conn  connFlags
	cf    configFlags
	hosts []string
	a     *app
}

func newConfigCmd(env map[string]string) *configCmd {
	c := &configCmd{cmd: &cobra.Command{Use: "x"}}
	c.conn.register(c.cmd.Flags())
	c.cf.register(c.cmd.Flags())
	c.a = &app{
		stdout:    &bytes.Buffer{},
		stderr:    &bytes.Buffer{},
		lookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		readFile:  os.ReadFile,
	}
	return c
}

func (c *configCmd) apply(args ...string) error {
	if err := c.cmd.ParseFlags(args); err != nil {
		return err
	}
	return c.a.applyConfig(c.cmd, &c.cf, &c.conn, &c.hosts)
}

// TestConfigPrecedence sets each setting from each source alone, and from
// each pair of sources, and checks that the stronger one wins: flags >
// environment > group > defaults > built-in.
func TestConfigPrecedence(t *testing.T) {
	type setting struct {
		flag string
		// values by source: flag, env, group, defaults, and the built-in.
		flagV, envV, groupV, defV, builtin string
		get                                func(*connFlags) string
	}
	settings := []setting{
		{"timeout", "11s", "12s", "13s", "14s", "1m0s", func(f *connFlags) string { return f.timeout.String() }},
		{"auth", "basic", "kerberos", "negotiate", "certificate", "", func(f *connFlags) string { return f.auth }},
		{"https", "false", "true", "false", "true", "false", func(f *connFlags) string { return fmt.Sprint(f.https) }},
		{"user", `CORP\flag`, `CORP\env`, `CORP\group`, `CORP\defaults`, "", func(f *connFlags) string { return f.user }},
		{"retries", "5", "6", "7", "8", "2", func(f *connFlags) string { return fmt.Sprint(f.retries) }},
		{"ca-file", "/f.pem", "/e.pem", "/g.pem", "/d.pem", "", func(f *connFlags) string { return f.caFile }},
		{"spn", "HTTP/f", "HTTP/e", "HTTP/g", "HTTP/d", "", func(f *connFlags) string { return f.spn }},
	}
	sources := []string{"flag", "env", "group", "defaults"}
	// Every single source and every pair, strongest first.
	var combos [][]string
	for i := range sources {
		combos = append(combos, []string{sources[i]})
		for j := i + 1; j < len(sources); j++ {
			combos = append(combos, []string{sources[i], sources[j]})
		}
	}
	combos = append(combos, nil) // built-in
	for _, s := range settings {
		for _, combo := range combos {
			name := s.flag + "/" + strings.Join(combo, "+")
			if combo == nil {
				name = s.flag + "/builtin"
			}
			t.Run(name, func(t *testing.T) {
				env := map[string]string{}
				var args []string
				var def, grp string
				want := s.builtin
				for i, src := range combo {
					v := map[string]string{"flag": s.flagV, "env": s.envV, "group": s.groupV, "defaults": s.defV}[src]
					if i == 0 {
						want = v
					}
					switch src {
					case "flag":
						args = append(args, "--"+s.flag+"="+v)
					case "env":
						env[envName(s.flag)] = v
					case "group":
						grp = fmt.Sprintf("    %s: '%s'\n", s.flag, v)
					case "defaults":
						def = fmt.Sprintf("  %s: '%s'\n", s.flag, v)
					}
				}
				xdg, _ := writeConfig(t, "defaults:\n"+def+"groups:\n  g:\n    hosts: [hv01]\n"+grp, 0o600)
				env["XDG_CONFIG_HOME"] = xdg
				c := newConfigCmd(env)
				if err := c.apply(append(args, "--group", "g")...); err != nil {
					t.Fatal(err)
				}
				if got := s.get(&c.conn); got != want {
					t.Errorf("%s = %q, want %q", s.flag, got, want)
				}
				if c.cmd.Flags().Changed(s.flag) != (len(combo) > 0 && combo[0] == "flag") {
					t.Errorf("Changed(%s) is %v: only the command line may mark a flag changed", s.flag, c.cmd.Flags().Changed(s.flag))
				}
			})
		}
	}
}

// TestConfigPasswordPrecedence: --password-file > $CIMJOB_PASSWORD >
// $CIMJOB_PASSWORD_FILE > the group's password, password-env or
// password-file > defaults'.
func TestConfigPasswordPrecedence(t *testing.T) {
	dir := t.TempDir()
	pwFile := func(name, pw string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(pw+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flagFile, envFile, groupFile := pwFile("flag", "pw-flag"), pwFile("env", "pw-envfile"), pwFile("group", "pw-groupfile")
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		group    string
		defaults string
		want     string
	}{
		{"defaults password", nil, nil, "", "password: pw-defaults", "pw-defaults"},
		{"group over defaults", nil, nil, "password: pw-group", "password: pw-defaults", "pw-group"},
		{"group password-env", nil, map[string]string{"PW_VAR": "pw-var"}, "password-env: PW_VAR", "password: pw-defaults", "pw-var"},
		{"group password-file", nil, nil, "password-file: " + groupFile, "password: pw-defaults", "pw-groupfile"},
		{"relative password-file", nil, nil, "password-file: ../../group", "", "pw-groupfile"},
		{"password-file in ~/", nil, map[string]string{"HOME": dir}, "password-file: ~/group", "", "pw-groupfile"},
		{"env file over group", nil, map[string]string{"CIMJOB_PASSWORD_FILE": envFile}, "password: pw-group", "", "pw-envfile"},
		{"env over env file", nil, map[string]string{"CIMJOB_PASSWORD_FILE": envFile, envPassword: "pw-env"}, "password: pw-group", "", "pw-env"},
		{"env over group", nil, map[string]string{envPassword: "pw-env"}, "password: pw-group", "password: pw-defaults", "pw-env"},
		{"flag over all", []string{"--password-file", flagFile}, map[string]string{envPassword: "pw-env"}, "password: pw-group", "password: pw-defaults", "pw-flag"},
		{"none", nil, nil, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := "defaults: {" + tt.defaults + "}\ngroups:\n  g: {" + tt.group + "}\n"
			// Two levels under dir, so that ../../group is dir/group.
			xdg := filepath.Join(dir, tt.name)
			path := filepath.Join(xdg, "cimjob", "config.yaml")
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			env := map[string]string{"XDG_CONFIG_HOME": xdg}
			for k, v := range tt.env {
				env[k] = v
			}
			c := newConfigCmd(env)
			if err := c.apply(append(tt.args, "--group", "g")...); err != nil {
				t.Fatal(err)
			}
			got, err := c.a.optionalPassword(&c.conn)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("password %q, want %q", got, tt.want)
			}
		})
	}
}

// TestConfigFilePath: --config > $CIMJOB_CONFIG > $XDG_CONFIG_HOME >
// $HOME/.config; a missing default file is fine, a missing named one not.
func TestConfigFilePath(t *testing.T) {
	xdgA, pathA := writeConfig(t, "defaults: {timeout: 21s}\n", 0o600)
	_, pathB := writeConfig(t, "defaults: {timeout: 22s}\n", 0o600)
	home := t.TempDir()
	homeCfg := filepath.Join(home, ".config", "cimjob", "config.yaml")
	if err := os.MkdirAll(filepath.Dir(homeCfg), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(homeCfg, []byte("defaults: {timeout: 23s}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    string
		wantErr string
	}{
		{"flag", []string{"--config", pathB}, map[string]string{"XDG_CONFIG_HOME": xdgA, "CIMJOB_CONFIG": pathA}, "22s", ""},
		{"env", nil, map[string]string{"XDG_CONFIG_HOME": xdgA, "CIMJOB_CONFIG": pathB}, "22s", ""},
		{"xdg", nil, map[string]string{"XDG_CONFIG_HOME": xdgA, "HOME": home}, "21s", ""},
		{"home", nil, map[string]string{"HOME": home}, "23s", ""},
		{"relative xdg ignored", nil, map[string]string{"XDG_CONFIG_HOME": "rel", "HOME": home}, "23s", ""},
		{"missing default", nil, map[string]string{"XDG_CONFIG_HOME": t.TempDir()}, "1m0s", ""},
		{"nothing set", nil, nil, "1m0s", ""},
		{"missing --config", []string{"--config", filepath.Join(home, "nope.yaml")}, nil, "", "nope.yaml: no such file"},
		{"missing $CIMJOB_CONFIG", nil, map[string]string{"CIMJOB_CONFIG": filepath.Join(home, "nope.yaml")}, "", "nope.yaml: no such file"},
		{"group without file", []string{"--group", "g"}, map[string]string{"XDG_CONFIG_HOME": t.TempDir()}, "", "--group g: no config file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newConfigCmd(tt.env)
			err := c.apply(tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || exitCode(err) != exitUsage {
					t.Fatalf("err %v (exit %d), want %q and exit 2", err, exitCode(err), tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.conn.timeout.String(); got != tt.want {
				t.Errorf("timeout %s, want %s", got, tt.want)
			}
		})
	}
}

// TestConfigRefusals: every bad file gets exit 2 and a message with
// file:line, and the password in it is never echoed.
func TestConfigRefusals(t *testing.T) {
	pw := "password: " + secretPassword
	tests := []struct {
		name, body string
		mode       os.FileMode
		args       []string
		want       string
	}{
		{"unknown key", "defaults:\n  " + pw + "\n  timout: 3s\n", 0o600, nil, ":3: unknown key \"timout\""},
		{"unknown top key", "default:\n  auth: ntlm\n", 0o600, nil, ":1: unknown key \"default\""},
		{"unknown group key", "groups:\n  g:\n    hosts: [a]\n    " + pw + "\n    bogus: 1\n", 0o600, nil, ":5: unknown key \"bogus\" in group g"},
		{"bad duration", "defaults:\n  " + pw + "\n  timeout: soon\n", 0o600, nil, ":3: timeout: "},
		{"bad bool", "defaults:\n  https: maybe\n", 0o600, nil, ":2: https: "},
		{"bad int", "defaults:\n  retries: many\n", 0o600, nil, ":2: retries: "},
		{"list for one value", "defaults:\n  auth: [ntlm, basic]\n", 0o600, nil, ":2: auth takes one value, not a list"},
		{"mapping for a value", "defaults:\n  auth: {a: b}\n", 0o600, nil, ":2: auth takes a value, not a mapping"},
		{"no value", "defaults:\n  auth:\n", 0o600, nil, ":2: auth has no value"},
		{"duplicate", "defaults:\n  auth: ntlm\n  auth: basic\n", 0o600, nil, ":3: auth is given twice"},
		{"two passwords", "defaults:\n  " + pw + "\n  password-env: X\n", 0o600, nil, ":3: password-env and password (line 2) both"},
		{"password a list", "defaults:\n  password: [" + secretPassword + "]\n", 0o600, nil, ":2: password must be a non-empty string"},
		{"host in file", "defaults:\n  host: hv01\n", 0o600, nil, ":2: host cannot be set in the config file"},
		{"job in file", "defaults:\n  job: X\n", 0o600, nil, ":2: job cannot be set"},
		{"exporter flag in file", "defaults:\n  web.listen-address: :9985\n", 0o600, nil, ":2: web.listen-address cannot be set in the config file: it is a flag of cimjob exporter"},
		{"hosts in defaults", "defaults:\n  hosts: [a]\n", 0o600, nil, ":2: unknown key \"hosts\" in defaults"},
		{"hosts not a list", "groups:\n  g:\n    hosts: hv01\n", 0o600, nil, ":3: hosts of group g must be a list"},
		{"bad host", "groups:\n  g:\n    hosts: [hv01, 'bad host!']\n", 0o600, []string{"--group", "g"}, ":3: group g: --host \"bad host!\""},
		{"alias", "defaults: &d\n  auth: ntlm\ngroups:\n  g: *d\n", 0o600, nil, "anchors and aliases are not supported"},
		{"not a mapping", "- a\n- b\n", 0o600, nil, ":1: the file must be a mapping"},
		{"two documents", "defaults: {}\n---\ndefaults: {}\n", 0o600, nil, "a second YAML document"},
		{"yaml syntax", "defaults:\n  " + pw + "\n  auth: [ntlm\n", 0o600, nil, "config.yaml: yaml: line"},
		{"password readable by group", "defaults:\n  " + pw + "\n", 0o640, nil, ":2: the file holds a password but others can read it: run chmod 600 "},
		{"password readable by all", "groups:\n  g:\n    " + pw + "\n", 0o644, nil, "run chmod 600 "},
		{"unknown group", "groups:\n  a: {}\n  b: {}\n", 0o600, []string{"--group", "c"}, "--group c: "},
		{"password-env unset", "defaults:\n  password-env: NOT_SET_VAR\n", 0o600, nil, ":2: password-env names $NOT_SET_VAR, which is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			xdg, path := writeConfig(t, tt.body, tt.mode)
			c := newConfigCmd(map[string]string{"XDG_CONFIG_HOME": xdg})
			err := c.apply(tt.args...)
			if err == nil {
				t.Fatalf("accepted; want an error with %q", tt.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q, want it to contain %q", msg, tt.want)
			}
			if !strings.HasPrefix(msg, path) && !strings.HasPrefix(msg, "--group") {
				t.Errorf("error %q does not start with the file's name", msg)
			}
			if exitCode(err) != exitUsage {
				t.Errorf("exit %d, want %d", exitCode(err), exitUsage)
			}
			if strings.Contains(msg, secretPassword) {
				t.Errorf("the error shows the password: %q", msg)
			}
		})
	}
}

// TestConfigPasswordFilePermissions: a password-file the config names must
// be readable by its owner alone, like the config file itself.
func TestConfigPasswordFilePermissions(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "pw")
	if err := os.WriteFile(p, []byte(secretPassword), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o600, 0o400} {
		t.Run(mode.String(), func(t *testing.T) {
			if err := os.Chmod(p, mode); err != nil {
				t.Fatal(err)
			}
			// The config itself holds no password: any mode will do.
			xdg, _ := writeConfig(t, "defaults:\n  password-file: "+p+"\n", 0o644)
			c := newConfigCmd(map[string]string{"XDG_CONFIG_HOME": xdg})
			err := c.apply()
			if secretfile.OwnerOnly(mode) {
				if err != nil {
					t.Fatal(err)
				}
				if c.conn.passwordFile != p {
					t.Errorf("password file %q, want %q", c.conn.passwordFile, p)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "chmod 600 "+p) || exitCode(err) != exitUsage {
				t.Fatalf("err %v, want a refusal saying chmod 600 %s", err, p)
			}
		})
	}
}

// TestConfigEnvEveryFlag: every flag of every command has its CIMJOB_*
// variable, and a bad value in one is exit 2 naming it.
func TestConfigEnvEveryFlag(t *testing.T) {
	c := newConfigCmd(map[string]string{
		"CIMJOB_HOST":                    "hv07",
		"CIMJOB_MAX_RESPONSE_BYTES":      "65536",
		"CIMJOB_INSECURE_SKIP_VERIFY":    "true",
		"CIMJOB_NTLM_ALLOW_NO_TIMESTAMP": "true",
		envUser:                          `CORP\u`,
	})
	if err := c.apply(); err != nil {
		t.Fatal(err)
	}
	if c.conn.host != "hv07" || c.conn.maxBody != 65536 || !c.conn.insecure || !c.conn.ntlmNoTimestamp || c.conn.user != `CORP\u` {
		t.Errorf("environment not applied: %+v", c.conn)
	}
	c = newConfigCmd(map[string]string{"CIMJOB_RETRIES": "lots"})
	err := c.apply()
	if err == nil || !strings.Contains(err.Error(), "$CIMJOB_RETRIES") || exitCode(err) != exitUsage {
		t.Fatalf("err %v, want exit 2 naming $CIMJOB_RETRIES", err)
	}
}

// TestConfigGroupHosts: --group gives its hosts, in file order, and only
// with --group. Hosts given otherwise beside a group are refused (exit 2):
// the group's settings (credentials, TLS) would apply to them.
func TestConfigGroupHosts(t *testing.T) {
	xdg, _ := writeConfig(t, `groups:
  hyperv-prod:
    hosts: [hv01.corp.example, "hv02.corp.example:5986", https://hv03.corp.example:5986/wsman]
  lab: {hosts: [lab1]}
`, 0o600)
	c := newConfigCmd(map[string]string{"XDG_CONFIG_HOME": xdg})
	if err := c.apply("--group", "hyperv-prod"); err != nil {
		t.Fatal(err)
	}
	want := "hv01.corp.example hv02.corp.example:5986 https://hv03.corp.example:5986/wsman"
	if got := strings.Join(c.hosts, " "); got != want {
		t.Errorf("hosts %q, want %q", got, want)
	}
	c = newConfigCmd(map[string]string{"XDG_CONFIG_HOME": xdg, "CIMJOB_GROUP": "lab"})
	if err := c.apply(); err != nil || strings.Join(c.hosts, " ") != "lab1" {
		t.Errorf("$CIMJOB_GROUP: hosts %v, err %v", c.hosts, err)
	}
	c = newConfigCmd(map[string]string{"XDG_CONFIG_HOME": xdg})
	if err := c.apply(); err != nil || len(c.hosts) != 0 {
		t.Errorf("no --group: hosts %v, err %v", c.hosts, err)
	}

	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"--host and --group", nil, []string{"--host", "extra", "--group", "lab"}, "give hosts with --host or with --group, not both: a group's settings (credentials, TLS) belong to its own hosts"},
		{"$CIMJOB_HOST and --group", map[string]string{"CIMJOB_HOST": "extra"}, []string{"--group", "lab"}, "give hosts with $CIMJOB_HOST or with --group, not both"},
		{"--host and $CIMJOB_GROUP", map[string]string{"CIMJOB_GROUP": "lab"}, []string{"--host", "extra"}, "give hosts with --host or with $CIMJOB_GROUP, not both"},
		{"--host, one of the group's", nil, []string{"--host", "lab1", "--group", "lab"}, "give hosts with --host or with --group, not both"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"XDG_CONFIG_HOME": xdg}
			for k, v := range tc.env {
				env[k] = v
			}
			c := newConfigCmd(env)
			err := c.apply(tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) || exitCode(err) != exitUsage || strings.Contains(err.Error(), "\n") {
				t.Errorf("err %v (exit %d), hosts %v; want exit 2 and one line with %q", err, exitCode(err), c.hosts, tc.want)
			}
		})
	}
}

// TestConfigErrorCommand runs `cimjob error` with its host, user and
// password from a group of the config file, against the simulator.
func TestConfigErrorCommand(t *testing.T) {
	_, host := startSim(t, "default.json")
	const failed = "5F1E2D3C-4B5A-4000-8000-000000000001"
	direct := runCLI(t, demoEnv(), "error", "--host", host, "--allow-unencrypted", "--job", failed)
	if direct.code != exitJobFailed {
		t.Fatalf("direct run: exit %d: %s", direct.code, direct.stderr)
	}
	body := fmt.Sprintf(`defaults:
  allow-unencrypted: true
  scenario: other.json   # demo's flag: error ignores it
groups:
  lab:
    hosts: [%q]
    user: %s
    password: %s
  two:
    hosts: [%q, other.example]
    user: %s
    password-env: LAB_PW
`, host, demoUserName, demoPassword, host, demoUserName)
	xdg, path := writeConfig(t, body, 0o600)
	env := map[string]string{"XDG_CONFIG_HOME": xdg, "LAB_PW": demoPassword}

	r := runCLI(t, env, "error", "--group", "lab", "--job", failed)
	if r.code != exitJobFailed || r.stdout != direct.stdout {
		t.Fatalf("--group lab: exit %d, stderr %q; stdout differs from the direct run:\n%s", r.code, r.stderr, r.stdout)
	}
	r = runCLI(t, env, "error", "--group", "two", "--job", failed)
	if r.code != exitUsage || !strings.Contains(r.stderr, "cimjob check --group two") {
		t.Errorf("a group of two: exit %d, stderr %q; want 2 and a pointer to check", r.code, r.stderr)
	}
	// A --host beside a group is refused, even the group's own host: the
	// group's credentials must not go to a host the user named apart.
	for _, h := range []string{host, "other.example"} {
		r = runCLI(t, env, "error", "--group", "lab", "--host", h, "--job", failed)
		if r.code != exitUsage || !strings.Contains(r.stderr, "give hosts with --host or with --group, not both") {
			t.Errorf("--group lab --host %s: exit %d, stderr %q; want 2", h, r.code, r.stderr)
		}
	}
	// The flag beats the group: a wrong user fails to log in.
	r = runCLI(t, env, "error", "--group", "lab", "--user", "nobody", "--job", failed)
	if r.code != exitNoAnswer {
		t.Errorf("--user over the group's: exit %d, want %d: %s", r.code, exitNoAnswer, r.stderr)
	}
	// With --debug too, and refused for its mode, the password never shows.
	r = runCLI(t, env, "error", "--group", "lab", "--debug", "--job", failed)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	r2 := runCLI(t, env, "error", "--group", "lab", "--job", failed)
	if r2.code != exitUsage || !strings.Contains(r2.stderr, "chmod 600 "+path) || strings.Count(r2.stderr, "\n") != 1 {
		t.Errorf("readable config: exit %d, stderr %q; want 2 and one line saying chmod 600", r2.code, r2.stderr)
	}
	for _, out := range []string{r.stdout, r.stderr, r2.stdout, r2.stderr} {
		if strings.Contains(out, demoPassword) {
			t.Errorf("the password shows in the output: %q", out)
		}
	}
}

// TestConfigDemoIgnoresUserSettings: the demo runs against its own
// simulator, so the user's CIMJOB_* variables and config file (meant for
// real hosts) must not change it.
func TestConfigDemoIgnoresUserSettings(t *testing.T) {
	xdg, _ := writeConfig(t, "defaults: {auth: kerberos, timeout: 1ns}\n", 0o600)
	r := runCLI(t, map[string]string{"XDG_CONFIG_HOME": xdg, "CIMJOB_HTTPS": "true", "CIMJOB_RETRIES": "x"}, "demo")
	if r.code != exitOK {
		t.Fatalf("demo: exit %d: %s\n%s", r.code, r.stderr, r.stdout)
	}
}

// FuzzParseConfig: no file makes the parser panic, and a password given
// in a file that is refused never shows in the error.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("defaults: {auth: ntlm, https: true, timeout: 30s}\ngroups:\n  g:\n    hosts: [hv01, \"hv02:5986\"]\n    password: " + secretPassword + "\n"))
	f.Add([]byte("defaults: &a {x: 1}\ngroups: {g: *a}\n"))
	f.Add([]byte("groups:\n  g: {hosts: hv01, password: [" + secretPassword + "]}\n"))
	f.Add([]byte("- 1\n---\n{}\n"))
	c := newConfigCmd(nil)
	keys := configKeys(c.cmd)
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := parseConfig("config.yaml", data, keys)
		if err == nil {
			if cfg == nil {
				t.Fatal("nil config without an error")
			}
			return
		}
		// Only where the secret is a password's value: as a key, say, it
		// may be named.
		onlyPassword := bytes.Count(data, []byte(secretPassword)) == bytes.Count(data, []byte("password: "+secretPassword))
		if onlyPassword && strings.Contains(err.Error(), secretPassword) {
			t.Fatalf("the error shows the password: %v", err)
		}
	})
}

// TestGroupRefusesOtherHosts: every command refuses --host or
// --hosts-file beside --group (exit 2, one line), before asking any host,
// so that a group's settings (here Basic over plain HTTP) never reach a
// host named apart from it.
func TestGroupRefusesOtherHosts(t *testing.T) {
	xdg, _ := writeConfig(t, `groups:
  lab:
    hosts: [lab1.invalid]
    auth: basic
    allow-unencrypted: true
    user: admin
    password: `+secretPassword+`
`, 0o600)
	hostsFile := filepath.Join(t.TempDir(), "hosts.txt")
	if err := os.WriteFile(hostsFile, []byte("extra.invalid\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"XDG_CONFIG_HOME": xdg}
	for _, args := range [][]string{
		{"error", "--group", "lab", "--host", "extra.invalid", "--job", "J"},
		{"wait", "--group", "lab", "--host", "extra.invalid", "--job", "J"},
		{"jobs", "--group", "lab", "--host", "extra.invalid"},
		{"check", "--group", "lab", "--host", "extra.invalid"},
		{"identify", "--group", "lab", "--host", "extra.invalid"},
		{"check", "--group", "lab", "--hosts-file", hostsFile},
	} {
		r := runCLI(t, env, args...)
		src := "--host"
		if slices.Contains(args, "--hosts-file") {
			src = "--hosts-file"
		}
		want := "give hosts with " + src + " or with --group, not both: a group's settings (credentials, TLS) belong to its own hosts"
		if r.code != exitUsage || !strings.Contains(r.stderr, want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || r.stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and one line %q", args, r.code, r.stdout, r.stderr, want)
		}
	}
}
