package simulator

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestUPNRoundTrip(t *testing.T) {
	for _, upn := range []string{"ops@corp.example", "Jürgen@beispiel.example", "a"} {
		der, err := UPNExtension(upn)
		if err != nil {
			t.Fatal(err)
		}
		got, err := upnFromSAN(der)
		if err != nil || got != upn {
			t.Errorf("%q: got %q, %v", upn, got, err)
		}
	}
}

func TestUPNFromSANRejects(t *testing.T) {
	good, _ := UPNExtension("ops@corp.example")
	tests := []struct {
		name string
		der  []byte
		want error
	}{
		{"empty", nil, nil},
		{"not a sequence", []byte{0x04, 0x00}, nil},
		{"trailing bytes", append(append([]byte{}, good...), 0), nil},
		{"truncated", good[:len(good)-3], nil},
		// A dNSName only: no UPN.
		{"no otherName", []byte{0x30, 0x06, 0x82, 0x04, 'h', 'o', 's', 't'}, ErrNoUPN},
		{"empty GeneralNames", []byte{0x30, 0x00}, ErrNoUPN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			upn, err := upnFromSAN(tt.der)
			if err == nil {
				t.Fatalf("accepted: %q", upn)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err %v, want %v", err, tt.want)
			}
		})
	}
}

func FuzzUPNFromSAN(f *testing.F) {
	good, _ := UPNExtension("ops@corp.example")
	f.Add(good)
	f.Add([]byte{0x30, 0x06, 0x82, 0x04, 'h', 'o', 's', 't'})
	f.Add([]byte{0x30, 0x80})
	f.Fuzz(func(t *testing.T, der []byte) {
		upn, err := upnFromSAN(der)
		if err == nil && upn == "" {
			t.Error("empty UPN without an error")
		}
	})
}

func TestMatchPattern(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "anything", true},
		{"ops@corp.example", "OPS@corp.EXAMPLE", true},
		{"ops@corp.example", "ops@corp.example.evil", false},
		{"*@corp.example", "x@corp.example", true},
		{"*@corp.example", "x@corp.example.evil", false},
		{"http://a/b/*", "http://a/b/c", true},
		{"http://a/b/*", "http://a/c", false},
	}
	for _, tt := range tests {
		if got := matchPattern(tt.pattern, tt.s); got != tt.want {
			t.Errorf("matchPattern(%q, %q) = %v", tt.pattern, tt.s, got)
		}
	}
}

func TestFindUser(t *testing.T) {
	users := map[string]string{"Administrator": "x", "demo": "y"}
	for name, want := range map[string]string{
		"demo": "demo", `HV01\DEMO`: "demo", "demo@corp.example": "demo", `.\administrator`: "Administrator",
		"": "", "demox": "", `demo\other`: "", "@demo": "",
	} {
		got, ok := findUser(users, name)
		if got != want || ok != (want != "") {
			t.Errorf("findUser(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
}

// Scenario authentication settings are checked when the scenario loads.
func TestScenarioAuthChecks(t *testing.T) {
	base, err := os.ReadFile("../fixtures/scenarios/hardened.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, old, new, want string
	}{
		{"unknown scheme", `"Basic",`, `"Digest",`, "unknown auth scheme"},
		{"bad CBT level", `"Strict"`, `"Paranoid"`, "cbtHardeningLevel"},
		{"subject star inside", `"subject": "ops@corp.example"`, `"subject": "ops*corp"`, "subject"},
		{"uri star first", `"uri": "*",`, `"uri": "*/x",`, "uri"},
		{"unknown user", `"userName": "ops"`, `"userName": "nobody"`, "not in users"},
		{"bad issuer", `"subject": "ops@corp.example",`, `"subject": "ops@corp.example", "issuer": "XYZ",`, "thumbprint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeScenario(t, dir, "x.json", replaceOnce(t, string(base), tt.old, tt.new))
			_, err := New(Options{FS: os.DirFS(dir), Scenario: "x.json"})
			var se *ScenarioError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want a ScenarioError about %q", err, tt.want)
			}
		})
	}
}
