// Package krbtest runs a real MIT Kerberos KDC on loopback for tests: a
// throw-away realm in a temporary directory, principals and keytabs made
// with kadmin.local, and MIT's kinit for credential caches.
//
// Debian packages: krb5-kdc (krb5kdc, kdb5_util), krb5-admin-server
// (kadmin.local), krb5-user (kinit, klist).
package krbtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cimjob/cimjob/internal/testdeps"
)

// DefaultRealm is the realm New creates unless told otherwise.
const DefaultRealm = "CIMJOB.TEST"

// startTimeout bounds one KDC start (database creation and the wait for
// the first answer); stopTimeout bounds the wait for it to exit.
const (
	startTimeout = 30 * time.Second
	stopTimeout  = 10 * time.Second
)

// KDC is a running krb5kdc with its realm.
type KDC struct {
	Realm string
	Dir   string
	Port  int
	// Krb5Conf is the client configuration naming this KDC; point
	// KRB5_CONFIG (or krb.ClientConfig.ConfigPath) at it.
	Krb5Conf string
	kdcConf  string
	cmd      *exec.Cmd
	exited   chan struct{}
}

// toolPackage names the Debian package of each MIT program the harness
// runs.
var toolPackage = map[string]string{
	"krb5kdc":      "krb5-kdc",
	"kdb5_util":    "krb5-kdc",
	"kadmin.local": "krb5-admin-server",
	"kinit":        "krb5-user",
	"klist":        "krb5-user",
}

// Packages lists the Debian packages of the programs above, sorted.
func Packages() []string {
	var pkgs []string
	for _, p := range toolPackage {
		if !slices.Contains(pkgs, p) {
			pkgs = append(pkgs, p)
		}
	}
	slices.Sort(pkgs)
	return pkgs
}

// ServerTools are what Start, New and the principal and keytab methods
// run: the KDC, its database tool and kadmin.local. Kinit runs kinit, and
// Run whatever it is given; a test that calls them names those programs
// to Need as well.
var ServerTools = []string{"krb5kdc", "kdb5_util", "kadmin.local"}

// lookTool finds an MIT program on PATH or in the sbin directories Debian
// installs them to, which are not on every user's PATH.
func lookTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/usr/bin", "/sbin"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	if pkg, ok := toolPackage[name]; ok {
		return "", fmt.Errorf("MIT %s not found (Debian package %s)", name, pkg)
	}
	return "", fmt.Errorf("MIT %s not found", name)
}

// Available reports whether the MIT programs named are installed; the
// error names each missing one and its Debian package.
func Available(tools ...string) error {
	var missing []string
	for _, t := range tools {
		if _, err := lookTool(t); err != nil {
			missing = append(missing, err.Error())
		}
	}
	if len(missing) > 0 {
		return errors.New(strings.Join(missing, "; "))
	}
	return nil
}

// Need skips the test when an MIT program named is missing, except in CI
// (CI set), whose set-up installs them, where it fails.
func Need(t testing.TB, tools ...string) {
	t.Helper()
	if err := Available(tools...); err != nil {
		testdeps.Missing(t, err)
	}
}

// Start starts a KDC for one test and stops it when the test ends.
func Start(t testing.TB) *KDC {
	t.Helper()
	Need(t, ServerTools...)
	k, err := New(context.Background(), t.TempDir(), DefaultRealm)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := k.Close(); err != nil {
			t.Errorf("stop KDC: %v", err)
		}
	})
	return k
}

// New creates a realm in dir and starts its KDC on a free loopback port.
// Close stops it.
func New(ctx context.Context, dir, realm string) (*KDC, error) {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // another process may take the port first
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		k := &KDC{Realm: realm, Dir: dir, Port: port,
			Krb5Conf: filepath.Join(dir, "krb5.conf"), kdcConf: filepath.Join(dir, "kdc.conf")}
		if err := k.writeConfig(); err != nil {
			return nil, err
		}
		if attempt == 0 {
			if _, err := k.run(ctx, nil, "kdb5_util", "-r", realm, "create", "-s", "-P", "cimjob-master-key"); err != nil {
				return nil, err
			}
		}
		if lastErr = k.start(ctx); lastErr == nil {
			return k, nil
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	u, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return 0, fmt.Errorf("UDP port %d taken: %w", port, err)
	}
	u.Close()
	return port, nil
}

func (k *KDC) writeConfig() error {
	enctypes := "aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96"
	addr := "127.0.0.1:" + strconv.Itoa(k.Port)
	kdcConf := fmt.Sprintf(`[kdcdefaults]
	kdc_listen = %[2]s
	kdc_tcp_listen = %[2]s

[realms]
	%[1]s = {
		database_name = %[3]s/principal
		key_stash_file = %[3]s/stash
		acl_file = %[3]s/kadm5.acl
		max_life = 10h 0m 0s
		max_renewable_life = 7d 0h 0m 0s
		master_key_type = aes256-cts-hmac-sha1-96
		supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
		default_principal_flags = +preauth
	}

[logging]
	kdc = FILE:%[3]s/kdc.log
	admin_server = FILE:%[3]s/kadmin.log
`, k.Realm, addr, k.Dir)
	// No DNS, no reverse lookups, no host name canonicalisation: SPNs are
	// used exactly as written (HTTP/127.0.0.1), by MIT and gokrb5 alike.
	krb5Conf := fmt.Sprintf(`[libdefaults]
	default_realm = %[1]s
	dns_lookup_kdc = false
	dns_lookup_realm = false
	dns_canonicalize_hostname = false
	rdns = false
	udp_preference_limit = 1
	default_tkt_enctypes = %[3]s
	default_tgs_enctypes = %[3]s
	permitted_enctypes = %[3]s

[realms]
	%[1]s = {
		kdc = %[2]s
	}

[domain_realm]
	localhost = %[1]s
	127.0.0.1 = %[1]s
`, k.Realm, addr, enctypes)
	for path, text := range map[string]string{k.kdcConf: kdcConf, k.Krb5Conf: krb5Conf, filepath.Join(k.Dir, "kadm5.acl"): ""} {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// Env is the environment MIT programs need to use this realm and nothing
// of the host's.
func (k *KDC) Env() []string {
	env := []string{}
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "KRB5") {
			env = append(env, e)
		}
	}
	return append(env, "KRB5_CONFIG="+k.Krb5Conf, "KRB5_KDC_PROFILE="+k.kdcConf, "KRB5CCNAME=FILE:"+filepath.Join(k.Dir, "ccache-default"))
}

// run runs an MIT program with the realm's environment.
func (k *KDC) run(ctx context.Context, stdin []byte, tool string, args ...string) ([]byte, error) {
	path, err := lookTool(tool)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = k.Env()
	cmd.Dir = k.Dir
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w\n%s", tool, strings.Join(args, " "), err, out)
	}
	return out, nil
}

func (k *KDC) start(ctx context.Context) error {
	path, err := lookTool("krb5kdc")
	if err != nil {
		return err
	}
	k.cmd = exec.Command(path, "-n", "-r", k.Realm, "-P", filepath.Join(k.Dir, "kdc.pid"))
	k.cmd.Env = k.Env()
	k.cmd.Dir = k.Dir
	var stderr bytes.Buffer
	k.cmd.Stdout, k.cmd.Stderr = &stderr, &stderr
	if err := k.cmd.Start(); err != nil {
		return err
	}
	k.exited = make(chan struct{})
	go func() { k.cmd.Wait(); close(k.exited) }()
	addr := "127.0.0.1:" + strconv.Itoa(k.Port)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		var d net.Dialer
		if c, err := d.DialContext(ctx, "tcp", addr); err == nil {
			c.Close()
			return nil
		}
		select {
		case <-k.exited:
			log, _ := os.ReadFile(filepath.Join(k.Dir, "kdc.log"))
			return fmt.Errorf("krb5kdc exited: %s\n%s", stderr.String(), log)
		case <-ctx.Done():
			k.Close()
			return fmt.Errorf("krb5kdc did not answer on %s: %w", addr, ctx.Err())
		case <-tick.C:
		}
	}
}

// Close stops the KDC.
func (k *KDC) Close() error {
	if k.cmd == nil || k.cmd.Process == nil {
		return nil
	}
	k.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-k.exited:
		return nil
	case <-time.After(stopTimeout):
		k.cmd.Process.Kill()
		<-k.exited
		return errors.New("krb5kdc ignored SIGTERM and was killed")
	}
}

// kadmin runs one kadmin.local query.
func (k *KDC) kadmin(ctx context.Context, query string) error {
	_, err := k.run(ctx, nil, "kadmin.local", "-r", k.Realm, "-q", query)
	return err
}

// checkWord refuses arguments kadmin's query parser would split or
// misread.
func checkWord(s string) error {
	if s == "" || strings.ContainsAny(s, " \t\n\"'\\") {
		return fmt.Errorf("krbtest: %q must be one plain word", s)
	}
	return nil
}

// AddUser creates a principal with a password (pre-authentication
// required, as in Active Directory).
func (k *KDC) AddUser(ctx context.Context, name, password string) error {
	if err := checkWord(name); err != nil {
		return err
	}
	if err := checkWord(password); err != nil {
		return err
	}
	return k.kadmin(ctx, "addprinc -pw "+password+" "+name)
}

// AddService creates a principal with a random key, such as
// "HTTP/127.0.0.1".
func (k *KDC) AddService(ctx context.Context, name string) error {
	if err := checkWord(name); err != nil {
		return err
	}
	return k.kadmin(ctx, "addprinc -randkey "+name)
}

// Keytab writes the principals' current keys to a keytab file without
// changing them.
func (k *KDC) Keytab(ctx context.Context, path string, principals ...string) error {
	for _, p := range principals {
		if err := checkWord(p); err != nil {
			return err
		}
		if err := checkWord(path); err != nil {
			return err
		}
		if err := k.kadmin(ctx, "ktadd -k "+path+" -norandkey "+p); err != nil {
			return err
		}
	}
	return nil
}

// Kinit logs in with MIT's kinit, writing a credential cache file.
func (k *KDC) Kinit(ctx context.Context, principal, password, ccache string) error {
	_, err := k.run(ctx, []byte(password+"\n"), "kinit", "-c", "FILE:"+ccache, principal)
	return err
}

// Run runs another MIT program (klist, kvno) in the realm's environment.
func (k *KDC) Run(ctx context.Context, tool string, args ...string) ([]byte, error) {
	return k.run(ctx, nil, tool, args...)
}
