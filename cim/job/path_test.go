package job

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParsePath(t *testing.T) {
	const id = "5A1E2D3C-4B5A-4000-8000-000000000001"
	hv := Path{Namespace: "root/virtualization/v2", Class: "Msvm_ConcreteJob", InstanceID: id}
	withServer := hv
	withServer.Server = "HV01"
	tests := []struct {
		in      string
		want    Path
		wantErr string // in the error; "" for none
	}{
		{id, Path{InstanceID: id}, ""},
		{"{" + id + "}", Path{InstanceID: "{" + id + "}"}, ""},
		{strings.ToLower(id), Path{InstanceID: strings.ToLower(id)}, ""},
		// A CIM InstanceID may hold colons and dots; without the key form
		// it is not a path.
		{"Microsoft:" + id + "\\1", Path{InstanceID: "Microsoft:" + id + "\\1"}, ""},
		{"root:1.2", Path{InstanceID: "root:1.2"}, ""},
		{`\\HV01\root\virtualization\v2:Msvm_ConcreteJob.InstanceID="` + id + `"`, withServer, ""},
		{`//HV01/root/virtualization/v2:Msvm_ConcreteJob.InstanceID="` + id + `"`, withServer, ""},
		{`\\.\root\virtualization\v2:Msvm_ConcreteJob.InstanceID="` + id + `"`, hv, ""},
		{`root\virtualization\v2:Msvm_ConcreteJob.InstanceID="` + id + `"`, hv, ""},
		{`ROOT\virtualization\v2:Msvm_ConcreteJob.instanceid='` + id + `'`, Path{Namespace: "ROOT/virtualization/v2", Class: "Msvm_ConcreteJob", InstanceID: id}, ""},
		{`Msvm_ConcreteJob.InstanceID="` + id + `"`, Path{Class: "Msvm_ConcreteJob", InstanceID: id}, ""},
		{`root\MSPS:Msps_ProvisioningJob.InstanceID="a\"b\\c"`, Path{Namespace: "root/MSPS", Class: "Msps_ProvisioningJob", InstanceID: `a"b\c`}, ""},
		{`root\MSPS:Msps_ProvisioningJob.InstanceID='it\'s'`, Path{Namespace: "root/MSPS", Class: "Msps_ProvisioningJob", InstanceID: `it's`}, ""},
		{`root\MSPS:Msps_ProvisioningJob.InstanceID="say \'x\'"`, Path{Namespace: "root/MSPS", Class: "Msps_ProvisioningJob", InstanceID: `say \'x\'`}, ""},

		{`\\HV01`, Path{}, "namespace"},
		{`\\HV01\root\virtualization\v2`, Path{}, "':'"},
		{`\\HV01\cimv2:Msvm_ConcreteJob.InstanceID="x"`, Path{}, "not a WMI namespace"},
		{`\\HV01\root\v2:Msvm_ConcreteJob`, Path{}, "Class.InstanceID"},
		{`root\v2:Msvm_ConcreteJob.Name="x"`, Path{}, "a job is named by InstanceID"},
		{`Msvm_ConcreteJob.Name="x"`, Path{InstanceID: `Msvm_ConcreteJob.Name="x"`}, ""},
		{`\\HV01\root\v2:Msvm_ConcreteJob.Name="x"`, Path{}, "InstanceID"},
		{`root\v2:Msvm_ConcreteJob.InstanceID=` + id, Path{}, "quoted"},
		{`root\v2:Msvm_ConcreteJob.InstanceID="` + id, Path{}, "not closed"},
		{`root\v2:Msvm_ConcreteJob.InstanceID="` + id + `"x`, Path{}, "after"},
		{`root\v2:Msvm_ConcreteJob.InstanceID=""`, Path{}, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePath(tt.in)
			if tt.wantErr != "" {
				var pe *PathError
				if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParsePath = %+v, %v; want a *PathError saying %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParsePath = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestProfileFor(t *testing.T) {
	tests := []struct{ ns, class, want, wantClass string }{
		{"root/virtualization/v2", "Msvm_ConcreteJob", "hyperv", "Msvm_ConcreteJob"},
		{"", "msvm_concretejob", "hyperv", "msvm_concretejob"},
		{"root/virtualization/v2", "Msvm_MigrationJob", "hyperv", "Msvm_MigrationJob"},
		{"root/MSPS", "Msps_ProvisioningJob", "msps", "Msps_ProvisioningJob"},
		{"root/cimv2", "Msvm_ConcreteJob", "cim", "Msvm_ConcreteJob"},
		{"root/storage", "MSFT_StorageJob", "cim", "MSFT_StorageJob"},
	}
	for _, tt := range tests {
		p := ProfileFor(tt.ns, tt.class)
		if p.Name != tt.want || p.Class != tt.wantClass {
			t.Errorf("ProfileFor(%q, %q) = %s %s, want %s %s", tt.ns, tt.class, p.Name, p.Class, tt.want, tt.wantClass)
		}
	}
}

// FuzzParsePath: never a panic; a path's parts are well formed; a bare
// InstanceID is the input unchanged.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{
		"5A1E2D3C-4B5A-4000-8000-000000000001", "{5A1E2D3C-4B5A-4000-8000-000000000001}",
		`\\HV01\root\virtualization\v2:Msvm_ConcreteJob.InstanceID="x"`, `root\MSPS:Msps_ProvisioningJob.InstanceID='a\'b'`,
		`Msvm_ConcreteJob.InstanceID="\\\""`, `//./root/x:C.InstanceID=""`, `root:`, `\\`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			return
		}
		if p.Class == "" {
			if p != (Path{InstanceID: s}) {
				t.Fatalf("bare %q parsed as %+v", s, p)
			}
			return
		}
		if !isIdent(p.Class) || p.InstanceID == "" || (p.Namespace != "" && !isNamespace(p.Namespace)) || strings.Contains(p.Namespace, `\`) {
			t.Fatalf("%q parsed as %+v", s, p)
		}
		if utf8.ValidString(s) && !utf8.ValidString(p.InstanceID) {
			t.Fatalf("%q: InstanceID %q is not UTF-8", s, p.InstanceID)
		}
	})
}
