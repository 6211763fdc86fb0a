package job

import (
	"fmt"
	"strings"
)

// Path is a job as a person names it: a bare InstanceID, or a WMI object
// path as PowerShell and WMI tools print it,
//
//	\\HV01\root\virtualization\v2:Msvm_ConcreteJob.InstanceID="5A1E..."
//
// with or without the \\server\ part (or with / separators), with double
// or single quotes, and with \" or \\ escaped inside them.
type Path struct {
	// Server is the path's server part ("HV01"); empty when it has none,
	// or names the local machine (".").
	Server string
	// Namespace ("root/virtualization/v2") and Class are empty for a bare
	// InstanceID; Namespace alone is empty for a path relative to one.
	Namespace string
	Class     string
	// InstanceID is the key's value, unescaped. A bare InstanceID is kept
	// as given, braces and case included: WMI compares it as a string.
	InstanceID string
}

// PathError reports an object path that cannot be read.
type PathError struct {
	Path   string
	Reason string
}

func (e *PathError) Error() string {
	return fmt.Sprintf("job path %q: %s", e.Path, e.Reason)
}

// ParsePath reads a job's InstanceID or WMI object path. Text is a path
// when it starts with \\ or //, or when it has the form
// [namespace:]Class.InstanceID=...; anything else is a bare InstanceID
// ("Microsoft:1:2" included).
func ParsePath(s string) (Path, error) {
	rest := s
	var p Path
	if strings.HasPrefix(rest, `\\`) || strings.HasPrefix(rest, "//") {
		rest = rest[2:]
		i := strings.IndexAny(rest, `\/`)
		if i <= 0 {
			return Path{}, &PathError{s, `a \\server\ part must be followed by a namespace`}
		}
		p.Server, rest = rest[:i], rest[i+1:]
		if p.Server == "." {
			p.Server = ""
		}
		colon := strings.IndexByte(rest, ':')
		if colon < 0 {
			return Path{}, &PathError{s, "no ':' between the namespace and the class"}
		}
		p.Namespace, rest = rest[:colon], rest[colon+1:]
		if err := p.checkNamespace(s); err != nil {
			return Path{}, err
		}
		return p.parseKey(s, rest)
	}
	// Without a server, only the key form makes a path.
	classStart := 0
	if colon := strings.IndexByte(rest, ':'); colon >= 0 && isNamespace(rest[:colon]) {
		classStart = colon + 1
	}
	// After a namespace, any key makes a path (and a key other than
	// InstanceID an error); without one, only InstanceID does.
	if !hasKey(rest[classStart:], classStart == 0) {
		return Path{InstanceID: s}, nil
	}
	if classStart > 0 {
		p.Namespace = rest[:classStart-1]
		if err := p.checkNamespace(s); err != nil {
			return Path{}, err
		}
	}
	return p.parseKey(s, rest[classStart:])
}

// isNamespace reports whether s looks like a WMI namespace: root, then
// names joined by \ or /.
func isNamespace(s string) bool {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '\\' || r == '/' })
	if len(parts) == 0 || !strings.EqualFold(parts[0], "root") {
		return false
	}
	for _, part := range parts {
		if !isIdent(part) {
			return false
		}
	}
	return len(parts) == strings.Count(s, `\`)+strings.Count(s, "/")+1
}

func (p *Path) checkNamespace(s string) error {
	if !isNamespace(p.Namespace) {
		return &PathError{s, fmt.Sprintf("%q is not a WMI namespace (root\\...)", p.Namespace)}
	}
	p.Namespace = strings.ReplaceAll(p.Namespace, `\`, "/")
	return nil
}

// hasKey reports whether s starts with Class.Key=, and, if onlyInstanceID,
// with Class.InstanceID=.
func hasKey(s string, onlyInstanceID bool) bool {
	class, rest, ok := strings.Cut(s, ".")
	if !ok || !isIdent(class) {
		return false
	}
	key, _, ok := strings.Cut(rest, "=")
	key = strings.TrimSpace(key)
	return ok && isIdent(key) && (!onlyInstanceID || strings.EqualFold(key, "InstanceID"))
}

// parseKey reads Class.InstanceID="value" to the end of s.
func (p Path) parseKey(s, rest string) (Path, error) {
	class, rest, ok := strings.Cut(rest, ".")
	if !ok || !isIdent(class) {
		return Path{}, &PathError{s, "want Class.InstanceID=\"...\" after the namespace"}
	}
	key, value, ok := strings.Cut(rest, "=")
	if !ok || !strings.EqualFold(strings.TrimSpace(key), "InstanceID") {
		return Path{}, &PathError{s, fmt.Sprintf("the key is %q; a job is named by InstanceID", strings.TrimSpace(key))}
	}
	p.Class = class
	value = strings.TrimSpace(value)
	if len(value) < 2 || (value[0] != '"' && value[0] != '\'') {
		return Path{}, &PathError{s, "the InstanceID must be quoted"}
	}
	quote := value[0]
	var b strings.Builder
	for i := 1; i < len(value); i++ {
		c := value[i]
		switch {
		case c == '\\' && i+1 < len(value) && (value[i+1] == quote || value[i+1] == '\\'):
			i++
			b.WriteByte(value[i])
		case c == quote:
			if i != len(value)-1 {
				return Path{}, &PathError{s, "text after the quoted InstanceID"}
			}
			p.InstanceID = b.String()
			if p.InstanceID == "" {
				return Path{}, &PathError{s, "the InstanceID is empty"}
			}
			return p, nil
		default:
			b.WriteByte(c)
		}
	}
	return Path{}, &PathError{s, "the InstanceID's quote is not closed"}
}

// isIdent reports whether s is a CIM name: a letter or '_', then letters,
// digits and '_'.
func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// ProfileFor picks the profile of a job class in a namespace: Hyper-V's
// for Msvm_ classes in its namespace (a subclass such as
// Msvm_MigrationJob included), MSPS's for its class, else the generic
// CIM_ConcreteJob profile. An empty namespace means the profile's own.
func ProfileFor(namespace, class string) Profile {
	hv, msps := HyperV(), MSPS()
	switch {
	case strings.HasPrefix(strings.ToLower(class), "msvm_") && (namespace == "" || strings.EqualFold(namespace, hv.Namespace)):
		hv.Class = class
		return hv
	case strings.EqualFold(class, msps.Class) && (namespace == "" || strings.EqualFold(namespace, msps.Namespace)):
		return msps
	}
	return CIM(namespace, class)
}
