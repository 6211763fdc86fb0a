package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/cimjob/cimjob/internal/secretfile"
)

// configFlags are --config and --group, which every command that talks to
// hosts registers.
type configFlags struct {
	path  string
	group string
}

// register adds --config and --group.
func (f *configFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.path, "config", "", "YAML file of defaults and host groups (default $XDG_CONFIG_HOME/cimjob/config.yaml, else ~/.config/cimjob/config.yaml; a missing default file is no error)")
	fs.StringVar(&f.group, "group", "", "host group of the config file: its hosts are the hosts asked (not with --host or --hosts-file), its settings apply where no flag or CIMJOB_* variable gives one")
}

// Names of the configuration's own keys and variables. Every other key of
// the file, and every other CIMJOB_* variable, is a long flag's name.
const (
	envPrefix      = "CIMJOB_"
	keyDefaults    = "defaults"
	keyGroups      = "groups"
	keyHosts       = "hosts"
	keyPassword    = "password"
	keyPasswordEnv = "password-env"
	keyPassFile    = "password-file"
	// maxConfigBytes bounds the file read: a config of host groups is
	// kilobytes, so anything near this is a wrong file.
	maxConfigBytes = 1 << 20
)

// envName is the environment variable of a flag: CIMJOB_ and the flag's
// name in upper case with '_' for '-' (--max-response-bytes is
// CIMJOB_MAX_RESPONSE_BYTES).
func envName(flag string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// notConfigurable says why a flag has no key in the file ("" when it has
// one): the file describes connections, not one run.
func notConfigurable(flag string) string {
	switch flag {
	case "help", "version", "config", "group":
		return "it selects the file itself, or is not a setting"
	case "host":
		return "put hosts in a group's hosts: list and use --group"
	case "job":
		return "a job is chosen per run: give --job"
	}
	if strings.Contains(flag, ".") {
		return "it is a flag of cimjob exporter, whose modules are in its --config.file"
	}
	return ""
}

// pathValued reports whether a flag names a file, whose relative name in
// the config file is taken relative to the file's directory.
func pathValued(flag string) bool {
	return strings.HasSuffix(flag, "-file") || flag == "keytab" || flag == "krb5-conf"
}

// configError is a problem with the config file, --group or a CIMJOB_*
// variable: exit 2 like a usage error, but the command line's help would
// not help, so none is suggested.
type configError struct{ err error }

func (e *configError) Error() string { return e.err.Error() }
func (e *configError) Unwrap() error { return e.err }
func (e *configError) refusal()      {}

// configEntry is one key: value of the file.
type configEntry struct {
	key   string
	line  int
	value *yaml.Node
}

// configLayer is the settings of defaults: or of one group, in file order.
type configLayer []configEntry

func (l configLayer) get(key string) *configEntry {
	for i := range l {
		if l[i].key == key {
			return &l[i]
		}
	}
	return nil
}

// configGroup is one entry of groups:.
type configGroup struct {
	hosts    []configEntry
	settings configLayer
}

// configFile is a parsed config file.
type configFile struct {
	path     string
	defaults configLayer
	groups   map[string]*configGroup
	// passwordLine is the line of the first password: key, 0 if none.
	passwordLine int
	// home is $HOME, for file names written ~/...
	home string
}

// at prefixes a message with the file and line it is about.
func (c *configFile) at(line int, format string, args ...any) error {
	return &configError{fmt.Errorf("%s:%d: %s", c.path, line, fmt.Sprintf(format, args...))}
}

// applyConfig settles the connection settings and hosts of a command
// before it runs, with the precedence flags > CIMJOB_* environment >
// config file (--config, else $XDG_CONFIG_HOME/cimjob/config.yaml): it
// fills every field of conn that no flag set from the environment or the
// file, and with --group appends the group's hosts to hosts (refusing
// hosts given otherwise beside a group). A config
// file that holds a password must be readable by its owner alone.
//
// Within the file, the group's settings come before defaults:. Values go
// through each flag's own parser, so they are checked as the flag's are;
// they do not mark the flag as changed, so Changed still means "given on
// the command line".
func (a *app) applyConfig(cmd *cobra.Command, cf *configFlags, conn *connFlags, hosts *[]string) error {
	fset := cmd.Flags()
	path, explicit := cf.path, fset.Changed("config")
	if !explicit {
		if v := a.env(envName("config")); v != "" {
			path, explicit = v, true
		} else {
			path = a.defaultConfigPath()
		}
	}
	group := cf.group
	if !fset.Changed("group") {
		group = a.env(envName("group"))
		cf.group = group
	}
	if group != "" {
		if err := a.hostsBesideGroup(fset); err != nil {
			return err
		}
	}
	var file *configFile
	if path != "" {
		var err error
		if file, err = a.loadConfig(path, explicit, configKeys(cmd.Root())); err != nil {
			return err
		}
		if file != nil {
			file.home = a.env("HOME")
		}
	}
	var g *configGroup
	if group != "" {
		if file == nil {
			where := "no config file"
			if path != "" {
				where = "no config file " + path
			}
			return &configError{fmt.Errorf("--group %s: %s: write the group there, or give --config FILE", group, where)}
		}
		if g = file.groups[group]; g == nil {
			names := make([]string, 0, len(file.groups))
			for n := range file.groups {
				names = append(names, n)
			}
			slices.Sort(names)
			has := "it has no groups:"
			if len(names) > 0 {
				has = "it has: " + strings.Join(names, ", ")
			}
			return &configError{fmt.Errorf("--group %s: %s has no such group (%s)", group, file.path, has)}
		}
	}
	layers := []configLayer{}
	if g != nil {
		layers = append(layers, g.settings)
	}
	if file != nil {
		layers = append(layers, file.defaults)
	}

	var err error
	fset.VisitAll(func(fl *pflag.Flag) {
		switch {
		case err != nil || fl.Changed:
			return
		case fl.Name == keyPassFile || fl.Name == "help" || fl.Name == "version" || fl.Name == "config" || fl.Name == "group":
			// The password (configPassword) and the file itself (above)
			// are settled apart.
			return
		}
		if v := a.env(envName(fl.Name)); v != "" {
			if e := fl.Value.Set(v); e != nil {
				err = &configError{fmt.Errorf("$%s: %w", envName(fl.Name), e)}
			}
			return
		}
		for _, l := range layers {
			if e := l.get(fl.Name); e != nil {
				err = file.set(fl, e)
				return
			}
		}
	})
	if err != nil {
		return err
	}
	if err := a.configPassword(fset, conn, file, layers); err != nil {
		return err
	}
	if g != nil {
		for _, h := range g.hosts {
			check := connFlags{host: h.value.Value, https: conn.https}
			if _, err := check.endpoint(); err != nil {
				return file.at(h.line, "group %s: %v", group, err)
			}
			*hosts = append(*hosts, h.value.Value)
		}
	}
	return nil
}

// hostsBesideGroup refuses hosts given (by flag or CIMJOB_*) beside a
// group: the group's settings would apply to them, and a group's Basic
// credentials over plain HTTP, say, would go to a host the user named for
// other reasons.
func (a *app) hostsBesideGroup(fset *pflag.FlagSet) error {
	groupSrc := "--group"
	if !fset.Changed("group") {
		groupSrc = "$" + envName("group")
	}
	for _, name := range []string{"host", "hosts-file"} {
		if fset.Lookup(name) == nil {
			continue
		}
		src := ""
		switch {
		case fset.Changed(name):
			src = "--" + name
		case a.env(envName(name)) != "":
			src = "$" + envName(name)
		default:
			continue
		}
		return &configError{fmt.Errorf("give hosts with %s or with %s, not both: a group's settings (credentials, TLS) belong to its own hosts", src, groupSrc)}
	}
	return nil
}

// configPassword applies the first layer's password, password-file or
// password-env, unless --password-file, $CIMJOB_PASSWORD_FILE or
// $CIMJOB_PASSWORD gives one: those come first.
func (a *app) configPassword(fset *pflag.FlagSet, conn *connFlags, file *configFile, layers []configLayer) error {
	if fset.Changed(keyPassFile) || a.env(envPassword) != "" {
		return nil
	}
	if v := a.env(envName(keyPassFile)); v != "" {
		conn.passwordFile = v
		return nil
	}
	for _, l := range layers {
		if e := l.get(keyPassword); e != nil {
			conn.password = e.value.Value
			return nil
		}
		if e := l.get(keyPasswordEnv); e != nil {
			v := a.env(e.value.Value)
			if v == "" {
				return file.at(e.line, "password-env names $%s, which is not set: set it, or name another variable", e.value.Value)
			}
			conn.password = v
			return nil
		}
		if e := l.get(keyPassFile); e != nil {
			p := file.resolve(e.value.Value)
			st, err := os.Stat(p)
			if err != nil {
				return file.at(e.line, "password-file: %v", err)
			}
			if !secretfile.OwnerOnly(st.Mode()) {
				return file.at(e.line, "password-file %s can be read by others: run chmod 600 %s", p, p)
			}
			conn.passwordFile = p
			return nil
		}
	}
	return nil
}

// set gives flag fl the value of entry e through the flag's own parser.
func (c *configFile) set(fl *pflag.Flag, e *configEntry) error {
	v := e.value
	switch v.Kind {
	case yaml.ScalarNode:
		s := v.Value
		if pathValued(fl.Name) {
			s = c.resolve(s)
		}
		if err := fl.Value.Set(s); err != nil {
			return c.at(e.line, "%s: %v", e.key, err)
		}
		return nil
	case yaml.SequenceNode:
		sv, ok := fl.Value.(pflag.SliceValue)
		if !ok {
			return c.at(e.line, "%s takes one value, not a list", e.key)
		}
		items := make([]string, len(v.Content))
		for i, n := range v.Content {
			items[i] = n.Value
		}
		if err := sv.Replace(items); err != nil {
			return c.at(e.line, "%s: %v", e.key, err)
		}
		return nil
	}
	return c.at(e.line, "%s takes a value, not a mapping", e.key)
}

// resolve makes a relative file name of the config relative to its
// directory (where the file is, not where cimjob happens to run), and
// ~/name relative to $HOME.
func (c *configFile) resolve(name string) string {
	// No shell expands ~/ in a YAML file; a user writes it anyway.
	if rest, ok := strings.CutPrefix(name, "~/"); ok && c.home != "" {
		return filepath.Join(c.home, rest)
	}
	if name == "" || filepath.IsAbs(name) || strings.HasPrefix(name, "~") {
		return name
	}
	return filepath.Join(filepath.Dir(c.path), name)
}

// defaultConfigPath is $XDG_CONFIG_HOME/cimjob/config.yaml, else
// $HOME/.config/cimjob/config.yaml; "" when neither is set. A relative
// XDG_CONFIG_HOME is ignored, as the XDG specification asks.
func (a *app) defaultConfigPath() string {
	if x := a.env("XDG_CONFIG_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "cimjob", "config.yaml")
	}
	if h := a.env("HOME"); h != "" {
		return filepath.Join(h, ".config", "cimjob", "config.yaml")
	}
	return ""
}

// configKeys is every key the file may hold: every long flag of every
// command (a key of another command's flag is ignored by this one, so one
// file serves all), bar those notConfigurable, and the password keys.
func configKeys(root *cobra.Command) map[string]bool {
	keys := map[string]bool{keyPassword: true, keyPasswordEnv: true}
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		add := func(fl *pflag.Flag) {
			if notConfigurable(fl.Name) == "" {
				keys[fl.Name] = true
			}
		}
		c.Flags().VisitAll(add)
		c.PersistentFlags().VisitAll(add)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return keys
}

// loadConfig reads and parses the file; a missing file is nil unless it
// was named explicitly. A file that holds a password must be readable by
// its owner alone.
func (a *app) loadConfig(path string, explicit bool, keys map[string]bool) (*configFile, error) {
	f, err := os.Open(path)
	if err != nil {
		if !explicit && errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, &configError{fmt.Errorf("config file: %w", err)}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &configError{fmt.Errorf("config file: %w", err)}
	}
	if st.IsDir() {
		return nil, &configError{fmt.Errorf("config file %s is a directory: give the YAML file", path)}
	}
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, &configError{fmt.Errorf("config file: %w", err)}
	}
	if len(data) > maxConfigBytes {
		return nil, &configError{fmt.Errorf("config file %s is larger than %d bytes: is it the right file?", path, maxConfigBytes)}
	}
	c, err := parseConfig(path, data, keys)
	if err != nil {
		return nil, err
	}
	if c.passwordLine > 0 && !secretfile.OwnerOnly(st.Mode()) {
		return nil, c.at(c.passwordLine, "the file holds a password but others can read it: run chmod 600 %s", path)
	}
	return c, nil
}

// parseConfig parses the file strictly: every key must be known, every
// value of the right shape, each key once; the error says file:line.
func parseConfig(path string, data []byte, keys map[string]bool) (*configFile, error) {
	c := &configFile{path: path, groups: map[string]*configGroup{}}
	var doc yaml.Node
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return c, nil
		}
		// yaml's messages name a line and never quote a value.
		return nil, &configError{fmt.Errorf("%s: %w", path, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, c.at(extra.Line, "a second YAML document: the config is one document")
	}
	if len(doc.Content) == 0 {
		return c, nil
	}
	top, err := c.pairs(doc.Content[0], "the file")
	if err != nil {
		return nil, err
	}
	for _, kv := range top {
		switch kv.key {
		case keyDefaults:
			if c.defaults, err = c.layer(kv.value, "defaults", keys); err != nil {
				return nil, err
			}
		case keyGroups:
			groups, err := c.pairs(kv.value, "groups")
			if err != nil {
				return nil, err
			}
			for _, gkv := range groups {
				if gkv.key == "" {
					return nil, c.at(gkv.line, "a group needs a name")
				}
				g, err := c.group(gkv, keys)
				if err != nil {
					return nil, err
				}
				c.groups[gkv.key] = g
			}
		default:
			return nil, c.at(kv.line, "unknown key %q: the file has defaults: and groups:", kv.key)
		}
	}
	return c, nil
}

// pairs returns the entries of a mapping node, refusing anything else,
// duplicate keys and aliases (which could multiply a small file).
func (c *configFile) pairs(n *yaml.Node, what string) ([]configEntry, error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, c.at(n.Line, "%s must be a mapping of key: value", what)
	}
	var out []configEntry
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, c.at(k.Line, "in %s: a key must be a plain name", what)
		}
		if v.Kind == yaml.AliasNode || v.Anchor != "" || k.Anchor != "" {
			return nil, c.at(k.Line, "in %s: YAML anchors and aliases are not supported", what)
		}
		if seen[k.Value] {
			return nil, c.at(k.Line, "%s is given twice in %s", k.Value, what)
		}
		seen[k.Value] = true
		out = append(out, configEntry{key: k.Value, line: k.Line, value: v})
	}
	return out, nil
}

// layer parses the settings of defaults: or of a group (keys: known
// flags and the password keys, at most one of the three password keys).
func (c *configFile) layer(n *yaml.Node, what string, keys map[string]bool) (configLayer, error) {
	entries, err := c.pairs(n, what)
	if err != nil {
		return nil, err
	}
	var l configLayer
	var pw *configEntry
	for i := range entries {
		e := entries[i]
		if !keys[e.key] {
			if why := notConfigurable(e.key); why != "" {
				return nil, c.at(e.line, "%s cannot be set in the config file: %s", e.key, why)
			}
			return nil, c.at(e.line, "unknown key %q in %s: keys are long flag names (see cimjob help), password, password-env", e.key, what)
		}
		if e.value.Kind == yaml.ScalarNode && e.value.Tag == "!!null" {
			return nil, c.at(e.line, "%s has no value: give one, or remove the line", e.key)
		}
		if e.key == keyPassword || e.key == keyPasswordEnv || e.key == keyPassFile {
			if pw != nil {
				return nil, c.at(e.line, "%s and %s (line %d) both give the password in %s: keep one", e.key, pw.key, pw.line, what)
			}
			if e.value.Kind != yaml.ScalarNode || e.value.Value == "" {
				// Never the value: it may be the password.
				return nil, c.at(e.line, "%s must be a non-empty string", e.key)
			}
			pw = &entries[i]
			if e.key == keyPassword && c.passwordLine == 0 {
				c.passwordLine = e.line
			}
		}
		if e.value.Kind == yaml.SequenceNode {
			for _, it := range e.value.Content {
				if it.Kind != yaml.ScalarNode {
					return nil, c.at(it.Line, "%s: a list of plain values", e.key)
				}
			}
		}
		l = append(l, e)
	}
	return l, nil
}

// group parses one group: hosts: and settings.
func (c *configFile) group(kv configEntry, keys map[string]bool) (*configGroup, error) {
	what := "group " + kv.key
	entries, err := c.pairs(kv.value, what)
	if err != nil {
		return nil, err
	}
	g := &configGroup{}
	var rest yaml.Node
	rest.Kind = yaml.MappingNode
	for _, e := range entries {
		if e.key != keyHosts {
			continue
		}
		if e.value.Kind != yaml.SequenceNode {
			return nil, c.at(e.line, "hosts of %s must be a list: hosts: [hv01, hv02:5986]", what)
		}
		for _, h := range e.value.Content {
			if h.Kind != yaml.ScalarNode || h.Value == "" {
				return nil, c.at(h.Line, "hosts of %s: each host is host, host:port or a URL", what)
			}
			g.hosts = append(g.hosts, configEntry{key: keyHosts, line: h.Line, value: h})
		}
	}
	for i := 0; i+1 < len(kv.value.Content); i += 2 {
		if kv.value.Content[i].Value != keyHosts {
			rest.Content = append(rest.Content, kv.value.Content[i], kv.value.Content[i+1])
		}
	}
	rest.Line = kv.line
	if g.settings, err = c.layer(&rest, what, keys); err != nil {
		return nil, err
	}
	return g, nil
}
