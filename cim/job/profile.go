package job

import (
	"fmt"
	"sort"
	"strings"

	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/wsman"
)

// The names of the built-in profiles, as the command line gives them.
const (
	NameHyperV = "hyperv"
	NameMSPS   = "msps"
	NameCIM    = "cim"
)

// Profile describes a job class: where it lives, which methods report its
// errors, and which value maps read its return values and properties.
type Profile struct {
	// Name is the profile's name on the command line ("hyperv", "msps", "cim").
	Name string
	// Namespace is the WMI namespace, with "/" separators.
	Namespace string
	// Class is the job class.
	Class string
	// Methods are the error-reporting methods in order of preference. With
	// more than one, a host that lacks the first is asked with the next.
	Methods []Method
	// ReturnMaps holds the value map of each method's ReturnValue.
	ReturnMaps map[Method]cim.ValueMap
	// JobStateMap and JobTypeMap are the value maps of the job's JobState
	// and (Hyper-V only) JobType properties; the zero map names nothing.
	JobStateMap cim.ValueMap
	JobTypeMap  cim.ValueMap
}

// HyperV is the profile named "hyperv", of Hyper-V jobs: Msvm_ConcreteJob in
// root/virtualization/v2, whose GetErrorEx and GetError return Msvm_Error
// instances as CIM-XML strings and Hyper-V's own return values.
func HyperV() Profile {
	return Profile{
		Name:      NameHyperV,
		Namespace: "root/virtualization/v2",
		Class:     "Msvm_ConcreteJob",
		Methods:   []Method{MethodGetErrorEx, MethodGetError},
		ReturnMaps: map[Method]cim.ValueMap{
			MethodGetErrorEx: cim.MsvmConcreteJobGetErrorExReturnValue,
			MethodGetError:   cim.MsvmConcreteJobGetErrorReturnValue,
		},
		JobStateMap: cim.MsvmConcreteJobJobState,
		JobTypeMap:  cim.MsvmConcreteJobJobType,
	}
}

// MSPS is the profile named "msps", of shielded-VM provisioning jobs:
// Msps_ProvisioningJob in root/MSPS, whose GetError returns an embedded
// CIM_Error object and the DMTF return values.
func MSPS() Profile {
	return Profile{
		Name:        NameMSPS,
		Namespace:   "root/MSPS",
		Class:       "Msps_ProvisioningJob",
		Methods:     []Method{MethodGetError},
		ReturnMaps:  map[Method]cim.ValueMap{MethodGetError: cim.MspsProvisioningJobGetErrorReturnValue},
		JobStateMap: cim.MspsProvisioningJobJobState,
	}
}

// CIM is the profile named "cim", for any other CIM_ConcreteJob subclass:
// the DMTF GetError with its DMTF return values, in the namespace and class
// given. Either error shape is accepted.
func CIM(namespace, class string) Profile {
	return Profile{
		Name:        NameCIM,
		Namespace:   namespace,
		Class:       class,
		Methods:     []Method{MethodGetError},
		ReturnMaps:  map[Method]cim.ValueMap{MethodGetError: cim.CIMConcreteJobGetErrorReturnValue},
		JobStateMap: cim.CIMConcreteJobJobState,
	}
}

// ProfileNames lists the names LookupProfile knows.
func ProfileNames() []string {
	names := []string{NameHyperV, NameMSPS, NameCIM}
	sort.Strings(names)
	return names
}

// LookupProfile returns the profile with the given name. "cim" needs a
// namespace and class; for the others, a non-empty namespace or class
// overrides the profile's own (a Hyper-V job subclass such as
// Msvm_MigrationJob, say).
func LookupProfile(name, namespace, class string) (Profile, error) {
	var p Profile
	switch strings.ToLower(name) {
	case NameHyperV, "hyper-v", "":
		p = HyperV()
	case NameMSPS:
		p = MSPS()
	case NameCIM:
		if namespace == "" || class == "" {
			return Profile{}, fmt.Errorf("profile cim needs both a namespace and a class")
		}
		p = CIM(strings.ReplaceAll(namespace, `\`, "/"), class)
	default:
		return Profile{}, fmt.Errorf("unknown profile %q (known: %s)", name, strings.Join(ProfileNames(), ", "))
	}
	if namespace != "" {
		p.Namespace = strings.ReplaceAll(namespace, `\`, "/")
	}
	if class != "" {
		p.Class = class
	}
	if err := p.checkNames(); err != nil {
		return Profile{}, err
	}
	return p, nil
}

// checkNames refuses a class or namespace that is not a WMI name: both go
// into resource URIs and the class into WQL (SELECT * FROM Class), where
// anything else would change the query rather than name a class.
func (p Profile) checkNames() error {
	if !isWMIName(p.Class) {
		return fmt.Errorf("class %q is not a WMI class name (letters, digits and _, not starting with a digit)", p.Class)
	}
	for _, seg := range strings.Split(p.Namespace, "/") {
		if !isWMIName(seg) {
			return fmt.Errorf("namespace %q is not a WMI namespace (names of letters, digits and _ separated by / or \\)", p.Namespace)
		}
	}
	return nil
}

// isWMIName reports whether s is a WMI class or namespace name.
func isWMIName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// ResourceURI is the WMI resource URI of the profile's class.
func (p Profile) ResourceURI() string { return wsman.WMIResourceURI(p.Namespace, p.Class) }
