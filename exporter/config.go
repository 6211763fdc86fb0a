package exporter

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/wsman"
)

// Defaults of a Module's zero fields.
const (
	// DefaultTimeout bounds a probe when the module gives no timeout; a
	// scrape's X-Prometheus-Scrape-Timeout-Seconds may lower it.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxFailedJobs is how many error-method calls one probe makes
	// at most; the failed jobs beyond it are asked about on later scrapes.
	DefaultMaxFailedJobs = 200
	// maxConfigBytes bounds the configuration file LoadConfig reads.
	maxConfigBytes = 1 << 20
)

// Config is the exporter's configuration: its modules by name.
type Config struct {
	Modules map[string]*Module `yaml:"modules"`
}

// Module says how to probe a class of hosts: which jobs, how to
// authenticate, TLS, bounds. YAML keys are snake_case, as in Prometheus
// configurations. Secrets are never in the module itself: PasswordEnv
// names an environment variable, PasswordFile an owner-only file, both
// read when the configuration is loaded.
type Module struct {
	// Profile is hyperv (the default), msps or cim, as job.LookupProfile
	// reads it; Namespace and Class are for cim (or override the others').
	Profile   string `yaml:"profile"`
	Namespace string `yaml:"namespace"`
	Class     string `yaml:"class"`
	// Method is auto (the default: the profile's preference, with
	// fallback), GetError or GetErrorEx.
	Method string `yaml:"method"`
	// Auth is ntlm (the default), kerberos, basic or certificate.
	Auth string `yaml:"auth"`
	// Scheme is http (the default; NTLM and Kerberos seal every message)
	// or https; Port defaults to 5985 or 5986 by scheme, Path to /wsman.
	// A target given as a URL or with a port overrides them.
	Scheme string `yaml:"scheme"`
	Port   int    `yaml:"port"`
	Path   string `yaml:"path"`

	// Username is the user name, or UsernameEnv the environment variable
	// that holds it.
	Username    string `yaml:"username"`
	UsernameEnv string `yaml:"username_env"`
	// PasswordEnv is the NAME of an environment variable holding the
	// password; PasswordFile a file readable by its owner alone. There is
	// no key for a literal password.
	PasswordEnv  string `yaml:"password_env"`
	PasswordFile string `yaml:"password_file"`

	// Kerberos: a keytab or a credential cache (else the password; a
	// plain or FILE: ccache path is relative to the config's directory,
	// like the others), krb5.conf, the realm of a user name without one,
	// the service principal (default HTTP/<host>; for NTLM, the target
	// name).
	Keytab   string `yaml:"keytab"`
	CCache   string `yaml:"ccache"`
	Krb5Conf string `yaml:"krb5_conf"`
	Realm    string `yaml:"realm"`
	SPN      string `yaml:"spn"`

	// CertFile and KeyFile are the PEM client certificate and key of
	// certificate auth (https only).
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`

	// TLS is for scheme https; with http it is refused, since it would
	// go unused (a target URL with https does not make it apply).
	TLS TLSConfig `yaml:"tls"`
	// AllowUnencrypted permits Basic auth over plain HTTP, where anyone on
	// the path reads the password.
	AllowUnencrypted bool `yaml:"allow_unencrypted"`

	// Timeout is the upper bound of a probe; 0 means DefaultTimeout. The
	// scrape's timeout header lowers it.
	Timeout Duration `yaml:"timeout"`
	// FailedStates are terminal states counted failed whatever the
	// ErrorCode: Killed, Terminated, by name or number.
	FailedStates []string `yaml:"failed_states"`
	// MaxResponseBytes bounds each reply; 0 means cim.DefaultLimits.MaxBytes.
	// A probe's replies have a total too, a fixed multiple of it, and its
	// listing a bound on the jobs; a host past either fails the probe
	// (protocol).
	MaxResponseBytes ByteSize `yaml:"max_response_bytes"`
	// BatchSize is the items asked for per Enumerate/Pull reply; 0 means
	// job.DefaultBatchSize.
	BatchSize int `yaml:"batch_size"`
	// MaxFailedJobs bounds the error-method calls of one probe; 0 means
	// DefaultMaxFailedJobs.
	MaxFailedJobs int `yaml:"max_failed_jobs"`
	// Targets, if not empty, is the allow-list of targets: RE2 regular
	// expressions matched against the whole target parameter as given
	// (case-sensitive; a port or scheme in the target is matched too). A
	// target off the list is refused (HTTP 403) without a connection, as
	// is a URL target whose path is not the module's. Without a list,
	// whoever can reach /probe chooses where the module's credentials go.
	// Escape the dots and prefer a class to '.*': 'hv[0-9]+\.corp\.example', or
	// '[a-z0-9-]+\.corp\.example' rather than '.*\.corp\.example'.
	Targets []string `yaml:"targets"`

	// Resolved at load; never printed.
	r *resolved
}

// ModuleNames are the names of the config's modules, sorted; none for a
// nil Config.
func (c *Config) ModuleNames() []string {
	if c == nil {
		return nil
	}
	names := make([]string, 0, len(c.Modules))
	for name := range c.Modules {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// module returns the resolved module of that name, or nil.
func (c *Config) module(name string) *Module {
	if c == nil {
		return nil
	}
	if m := c.Modules[name]; m != nil && m.r != nil {
		return m
	}
	return nil
}

// TLSConfig is a module's TLS settings (https).
type TLSConfig struct {
	// CAFile is a PEM file of the CAs to verify hosts with; empty: the
	// system roots.
	CAFile string `yaml:"ca_file"`
	// ServerName is the name to verify certificates against; empty: the
	// target's host.
	ServerName string `yaml:"server_name"`
	// InsecureSkipVerify turns verification off (dangerous).
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// resolved is what loading made of a module: parsed values and secrets.
type resolved struct {
	profile   job.Profile
	method    job.Method
	policy    job.FailurePolicy
	https     bool
	auth      wsman.Authenticator
	tls       *tls.Config
	timeout   time.Duration
	maxBytes  int64
	maxFailed int
	targets   []*regexp.Regexp
	// fingerprint identifies the module's settings, secrets included
	// (hashed), so SetConfig can tell a changed module from the same one.
	fingerprint [32]byte
}

// ConfigError is an error in the configuration: the file (empty for
// ParseConfig), the module (empty for the file as a whole) and why.
type ConfigError struct {
	Path   string
	Module string
	Err    error
}

func (e *ConfigError) Error() string {
	s := "exporter config"
	if e.Path != "" {
		s += " " + e.Path
	}
	if e.Module != "" {
		s += ": module " + e.Module
	}
	return s + ": " + e.Err.Error()
}

func (e *ConfigError) Unwrap() error { return e.Err }

// LoadConfig reads the file at path (at most 1 MiB), decodes it strictly
// (an unknown key is refused, with its line), validates every module and
// resolves its credentials: password files are read (refused when group
// or others may read them), environment variables looked up with env.
// Relative paths in the file are relative to its directory. Errors are
// *ConfigError.
func LoadConfig(path string, env func(string) (string, bool)) (*Config, error) {
	data, err := readBounded(path, maxConfigBytes)
	if err != nil {
		return nil, &ConfigError{Path: path, Err: err}
	}
	cfg, err := ParseConfig(data, filepath.Dir(path), env)
	var ce *ConfigError
	if errors.As(err, &ce) {
		ce.Path = path
	}
	return cfg, err
}

// ParseConfig is LoadConfig on data already read; dir is the base of
// relative paths.
func ParseConfig(data []byte, dir string, env func(string) (string, bool)) (*Config, error) {
	if env == nil {
		env = func(string) (string, bool) { return "", false }
	}
	if len(data) > maxConfigBytes {
		return nil, &ConfigError{Err: fmt.Errorf("larger than %d bytes: is it the right file?", maxConfigBytes)}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &ConfigError{Err: yamlError(err)}
	}
	mods := moduleNodes(&doc)
	// A literal password is refused before anything else is read, with
	// what to do instead; the strict decode would only call it unknown.
	for name, n := range mods {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Value == "password" {
				return nil, &ConfigError{Module: name, Err: fmt.Errorf("line %d: there is no password key, so that no password sits in the file: name an environment variable with password_env, or an owner-only file with password_file", k.Line)}
			}
		}
	}
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ConfigError{Err: errors.New("empty: define at least one module under the modules key")}
		}
		err = yamlError(err)
		return nil, &ConfigError{Module: moduleAt(mods, err), Err: err}
	}
	if len(cfg.Modules) == 0 {
		return nil, &ConfigError{Err: errors.New("no modules: define at least one under the modules key")}
	}
	for _, name := range cfg.ModuleNames() {
		m := cfg.Modules[name]
		line := 0
		if n := mods[name]; n != nil {
			line = n.Line
		}
		if !validModuleName(name) {
			return nil, &ConfigError{Err: fmt.Errorf("line %d: module name %q: use 1 to %d letters, digits, '_', '-' or '.'", line, name, maxModuleName)}
		}
		if m == nil {
			return nil, &ConfigError{Module: name, Err: fmt.Errorf("line %d: the module is empty: give at least its auth and credentials", line)}
		}
		if err := m.resolve(dir, env); err != nil {
			return nil, &ConfigError{Module: name, Err: err}
		}
	}
	return &cfg, nil
}

// maxModuleName bounds a module's name, a label value of the exporter's
// own metrics.
const maxModuleName = 64

func validModuleName(s string) bool {
	if s == "" || len(s) > maxModuleName {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// moduleNodes finds the mapping node of each module, by name.
func moduleNodes(doc *yaml.Node) map[string]*yaml.Node {
	mods := map[string]*yaml.Node{}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return mods
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "modules" || root.Content[i+1].Kind != yaml.MappingNode {
			continue
		}
		m := root.Content[i+1]
		for j := 0; j+1 < len(m.Content); j += 2 {
			if v := m.Content[j+1]; v.Kind == yaml.MappingNode {
				mods[m.Content[j].Value] = v
			} else {
				mods[m.Content[j].Value] = m.Content[j]
			}
		}
	}
	return mods
}

var lineRE = regexp.MustCompile(`^line (\d+):`)

// moduleAt names the module whose lines hold the line err names, if any.
func moduleAt(mods map[string]*yaml.Node, err error) string {
	m := lineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return ""
	}
	line, _ := strconv.Atoi(m[1])
	best, bestLine := "", 0
	for name, n := range mods {
		if n.Line <= line && n.Line > bestLine {
			best, bestLine = name, n.Line
		}
	}
	return best
}

var unknownFieldRE = regexp.MustCompile(`field (\S+) not found in type \S+`)

// yamlError makes the decoder's error one line: the first problem, with
// its line, an unknown key called so.
func yamlError(err error) error {
	var te *yaml.TypeError
	msg := err.Error()
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
		if len(te.Errors) > 1 {
			msg += fmt.Sprintf(" (and %d more)", len(te.Errors)-1)
		}
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = unknownFieldRE.ReplaceAllString(msg, "unknown key $1")
	msg = strings.ReplaceAll(msg, "\n", " ")
	return errors.New(msg)
}

// resolve checks m and fills m.r: parsed values and credentials.
func (m *Module) resolve(dir string, env func(string) (string, bool)) error {
	r := &resolved{}
	var err error
	if r.profile, err = job.LookupProfile(m.Profile, m.Namespace, m.Class); err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	if r.method, err = job.ParseMethod(m.Method); err != nil {
		return fmt.Errorf("method %q: want auto, GetError or GetErrorEx", m.Method)
	}
	switch strings.ToLower(m.Scheme) {
	case "", "http":
	case "https":
		r.https = true
	default:
		return fmt.Errorf("scheme %q: want http or https", m.Scheme)
	}
	if m.Port < 0 || m.Port > 65535 {
		return fmt.Errorf("port %d: want 1 to 65535", m.Port)
	}
	if m.Path != "" && (!strings.HasPrefix(m.Path, "/") || strings.ContainsAny(m.Path, "?# \t\r\n")) {
		return fmt.Errorf("path %q: want an absolute URL path such as /wsman", m.Path)
	}
	// The URL rules of a target, with a stand-in host, check the defaults.
	if _, err := wsman.Endpoint("h", wsman.EndpointDefaults{HTTPS: r.https, Port: m.Port, Path: m.Path}); err != nil {
		return fmt.Errorf("port or path: %w", err)
	}
	if r.policy, err = failurePolicy(m.FailedStates); err != nil {
		return err
	}
	r.timeout = DefaultTimeout
	if m.Timeout > 0 {
		r.timeout = time.Duration(m.Timeout)
	}
	r.maxBytes = cim.DefaultLimits.MaxBytes
	if m.MaxResponseBytes > 0 {
		r.maxBytes = int64(m.MaxResponseBytes)
	}
	if m.BatchSize < 0 || m.BatchSize > maxBatchSize {
		return fmt.Errorf("batch_size %d: want 1 to %d (0: %d)", m.BatchSize, maxBatchSize, job.DefaultBatchSize)
	}
	r.maxFailed = DefaultMaxFailedJobs
	if m.MaxFailedJobs < 0 {
		return fmt.Errorf("max_failed_jobs %d: want a positive number (0: %d)", m.MaxFailedJobs, DefaultMaxFailedJobs)
	} else if m.MaxFailedJobs > 0 {
		r.maxFailed = m.MaxFailedJobs
	}
	for i, t := range m.Targets {
		// Compiled alone first: "a)|(b" compiles only inside the
		// anchoring group, where it would match anything.
		_, err := regexp.Compile(t)
		var re *regexp.Regexp
		if err == nil {
			re, err = regexp.Compile(`^(?:` + t + `)$`)
		}
		if err != nil {
			return fmt.Errorf("targets[%d]: %w", i, err)
		}
		r.targets = append(r.targets, re)
	}
	secrets, err := m.credentials(r, dir, env)
	if err != nil {
		return err
	}
	h := sha256.New()
	pub, _ := json.Marshal(m) // the settings as written; m.r is unexported
	h.Write(pub)
	for _, s := range secrets {
		fmt.Fprintf(h, "\x00%d:", len(s))
		h.Write(s)
	}
	h.Sum(r.fingerprint[:0])
	m.r = r
	return nil
}

// maxBatchSize bounds batch_size: more items per reply only makes each
// reply larger than max_response_bytes allows.
const maxBatchSize = 10000

// failurePolicy reads failed_states: Killed and Terminated, by name (any
// case) or number; only they are terminal states that do not already
// count as failed.
func failurePolicy(states []string) (job.FailurePolicy, error) {
	var fp job.FailurePolicy
	for _, s := range states {
		name := strings.TrimSpace(s)
		if n, err := strconv.ParseUint(name, 10, 64); err == nil && strconv.FormatUint(n, 10) == name {
			// A number is the state the JobState map names so.
			name = cim.CIMConcreteJobJobState.Lookup(n).Name
		}
		st, ok := job.PolicyState(name)
		if !ok {
			return fp, fmt.Errorf("failed_states: %q: want Killed or Terminated (%d or %d); Exception, and any end with an error code, always count", s, job.StateKilled, job.StateTerminated)
		}
		fp.States = append(fp.States, st)
	}
	return fp, nil
}

// readBounded reads at most max bytes of the file at path; a larger file
// is refused.
func readBounded(path string, max int64) ([]byte, error) {
	// Checked before the open too: opening a FIFO blocks until a writer
	// comes, which would hang a start or a reload.
	if st, err := os.Stat(path); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes: is it the right file?", path, max)
	}
	return data, nil
}

// Duration is a time.Duration read from YAML as Go or Prometheus writes
// one: "30s", "1m30s", "500ms".
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return fmt.Errorf("line %d: %q is not a positive duration such as 30s or 1m", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// ByteSize is a size in bytes read from YAML as a number or with a unit:
// 1048576, 512KiB, 4MiB, 1GiB.
type ByteSize int64

// UnmarshalYAML implements yaml.Unmarshaler.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, ok := parseByteSize(s)
	if !ok {
		return fmt.Errorf("line %d: %q is not a size from %s to %s such as 1048576, 512KiB or 4MiB", n.Line, s,
			wsman.ByteSize(wsman.MinReplyBytesLimit), wsman.ByteSize(wsman.MaxReplyBytesLimit))
	}
	*b = ByteSize(v)
	return nil
}

// parseByteSize reads a decimal count of bytes with an optional binary
// unit (KiB, MiB, GiB); it refuses anything outside
// wsman.MinReplyBytesLimit..MaxReplyBytesLimit, as the CLI does.
func parseByteSize(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"B", 1}} {
		if t, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(t), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > wsman.MaxReplyBytesLimit/mult || n*mult < wsman.MinReplyBytesLimit {
		return 0, false
	}
	return n * mult, true
}
