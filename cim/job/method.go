package job

import (
	"fmt"
	"strings"
)

// Method is an error-reporting method of a job class. The zero Method,
// MethodAuto, lets the profile choose. It implements flag.Value (and
// pflag.Value), so a command line parses it once, into the value GetErrors
// takes.
type Method uint8

// The error methods.
const (
	// MethodAuto calls the profile's methods in order of preference,
	// falling back to the next when the host lacks one.
	MethodAuto Method = iota
	// MethodGetError is CIM_ConcreteJob.GetError, which returns one error.
	MethodGetError
	// MethodGetErrorEx is Msvm_ConcreteJob.GetErrorEx, which returns all.
	MethodGetErrorEx
)

// String is the method's name as the host knows it ("GetError",
// "GetErrorEx"), or "auto".
func (m Method) String() string {
	switch m {
	case MethodAuto:
		return "auto"
	case MethodGetError:
		return "GetError"
	case MethodGetErrorEx:
		return "GetErrorEx"
	}
	return fmt.Sprintf("Method(%d)", uint8(m))
}

// ParseMethod reads a method name in any case: "auto" (or "") gives
// MethodAuto, "GetError" and "GetErrorEx" their methods. Anything else is
// an error.
func ParseMethod(s string) (Method, error) {
	for _, m := range []Method{MethodAuto, MethodGetError, MethodGetErrorEx} {
		if strings.EqualFold(s, m.String()) {
			return m, nil
		}
	}
	if s == "" {
		return MethodAuto, nil
	}
	return MethodAuto, fmt.Errorf("job: unknown method %q (want auto, GetError or GetErrorEx)", s)
}

// Set parses s into m (flag.Value).
func (m *Method) Set(s string) error {
	v, err := ParseMethod(s)
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// Type names the flag's value in pflag's help.
func (*Method) Type() string { return "method" }

// valid reports whether m is one of the constants.
func (m Method) valid() bool { return m <= MethodGetErrorEx }
