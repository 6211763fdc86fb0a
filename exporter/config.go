package exporter

import (
	"crypto/tls"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

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

	// Kerberos: a keytab or a credential cache (else the password),
	// krb5.conf, the realm of a user name without one, the service
	// principal (default HTTP/<host>; for NTLM, the target name).
	Keytab   string `yaml:"keytab"`
	CCache   string `yaml:"ccache"`
	Krb5Conf string `yaml:"krb5_conf"`
	Realm    string `yaml:"realm"`
	SPN      string `yaml:"spn"`

	// CertFile and KeyFile are the PEM client certificate and key of
	// certificate auth (https only).
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`

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
	MaxResponseBytes ByteSize `yaml:"max_response_bytes"`
	// BatchSize is the items asked for per Enumerate/Pull reply; 0 means
	// job.DefaultBatchSize.
	BatchSize int `yaml:"batch_size"`
	// MaxFailedJobs bounds the error-method calls of one probe; 0 means
	// DefaultMaxFailedJobs.
	MaxFailedJobs int `yaml:"max_failed_jobs"`
	// Targets, if not empty, is the allow-list of targets: RE2 regular
	// expressions matched against the whole target parameter. A target
	// off the list is refused (HTTP 403) without a connection.
	Targets []string `yaml:"targets"`

	// Resolved at load; never printed.
	r *resolved
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
	profile  job.Profile
	method   job.Method
	policy   job.FailurePolicy
	https    bool
	auth     wsman.Authenticator
	tls      *tls.Config
	timeout  time.Duration
	maxBytes int64
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
	return nil, &ConfigError{Path: path, Err: fmt.Errorf("not implemented")}
}

// ParseConfig is LoadConfig on data already read; dir is the base of
// relative paths.
func ParseConfig(data []byte, dir string, env func(string) (string, bool)) (*Config, error) {
	return nil, &ConfigError{Err: fmt.Errorf("not implemented")}
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
		return fmt.Errorf("line %d: %q is not a size such as 1048576, 512KiB or 4MiB", n.Line, s)
	}
	*b = ByteSize(v)
	return nil
}

// parseByteSize reads a decimal count of bytes with an optional binary
// unit (KiB, MiB, GiB); it refuses anything above wsman.MaxReplyBytesLimit.
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
	if err != nil || n <= 0 || n > wsman.MaxReplyBytesLimit/mult {
		return 0, false
	}
	return n * mult, true
}
