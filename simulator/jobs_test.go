package simulator

import (
	"bytes"
	"errors"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cimjob/cimjob/fixtures"
)

// Every job of every well-behaved scenario answers Get and each method
// with its fixture, byte for byte once the placeholders are put back.
func TestEveryJobAnswersItsFixture(t *testing.T) {
	for _, scenario := range []string{"default.json", "encodings.json", "legacy.json"} {
		t.Run(scenario, func(t *testing.T) {
			s, url := startSim(t, scenario)
			for _, j := range s.Scenario().Jobs {
				uri := wmiPrefix + j.Namespace + "/" + j.Class
				v := defaultVars().with("$RESOURCE", uri, "$ID", j.InstanceID)
				calls := map[string]string{"Get": j.Get}
				for m, f := range j.Methods {
					calls[m] = f
				}
				if !s.Scenario().GetErrorEx && j.Methods["GetErrorEx"] != "" {
					calls["GetErrorEx"] = faultMethodNotFound
				}
				for call, fx := range calls {
					t.Run(j.InstanceID+"/"+call, func(t *testing.T) {
						var req []byte
						wantAction := uri + "/" + call + "Response"
						if call == "Get" {
							req = loadRequest(t, "get.xml", v.with("$ACTION", actionGet))
							wantAction = actionGet + "Response"
						} else {
							req = loadRequest(t, "invoke.xml", v.with("$ACTION", uri+"/"+call, "$METHOD", call))
						}
						ex := post(t, url, req)
						want, err := fs.ReadFile(fixtures.FS, path.Join("responses", fx))
						if err != nil {
							t.Fatal(err)
						}
						r := parseReply(t, ex.body)
						isFault := r.faultCode != (qname{})
						if wantStatus := map[bool]int{false: 200, true: 500}[isFault]; ex.status != wantStatus {
							t.Errorf("status %d, want %d", ex.status, wantStatus)
						}
						if r.relatesTo != testMID {
							t.Errorf("RelatesTo %q", r.relatesTo)
						}
						if !isFault && r.action != wantAction {
							t.Errorf("Action %q, want %q", r.action, wantAction)
						}
						got := bytes.ReplaceAll(ex.body, []byte(testMID), []byte(fixtures.PlaceholderRelatesTo))
						got = bytes.ReplaceAll(got, []byte(r.messageID), []byte(fixtures.PlaceholderMessageID))
						got = bytes.ReplaceAll(got, []byte(s.Scenario().Host), []byte(fixtures.PlaceholderMachine))
						if !bytes.Equal(got, want) {
							t.Errorf("reply differs from %s:\n%s", fx, ex.body)
						}
					})
				}
			}
		})
	}
}

// Job IDs and titles are part of the CLI's golden tests: keep them stable.
func TestJobsListing(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	jobs := s.Jobs()
	if len(jobs) != 14 {
		t.Fatalf("%d jobs", len(jobs))
	}
	want := Job{Profile: "hyperv", Namespace: "root/virtualization/v2", Class: "Msvm_ConcreteJob", InstanceID: job01,
		Title: "Start of VM 'web-01' failed: not enough memory (one error)", ResourceURI: hvURI}
	if jobs[0] != want {
		t.Errorf("first job %+v", jobs[0])
	}
	profiles := map[string]int{}
	var ids []string
	for _, j := range jobs {
		profiles[j.Profile]++
		ids = append(ids, j.InstanceID)
		if j.Title == "" || strings.Contains(j.Title, "\n") {
			t.Errorf("job %s: title %q must be one non-empty line", j.InstanceID, j.Title)
		}
	}
	if profiles["hyperv"] != 10 || profiles["msps"] != 4 {
		t.Errorf("profiles %v", profiles)
	}
	if !sort.StringsAreSorted(ids) {
		t.Errorf("job IDs are not in order: %v", ids)
	}
}

func TestStatsCount(t *testing.T) {
	s, url := startSim(t, "default.json")
	ok := loadRequest(t, "invoke.xml", defaultVars())
	post(t, url, ok)
	post(t, url, ok)
	post(t, url, loadRequest(t, "invoke.xml", defaultVars().with("$ID", "nope")))
	post(t, url, ok, func(r *http.Request) { r.Header.Del("Authorization") })
	st := s.Stats()
	if st.Requests != 4 || st.Faults != 1 || st.AuthFailures != 1 || st.Actions[hvURI+"/GetError"] != 3 || st.Connections < 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestBadScenarios(t *testing.T) {
	good := `{"host":"h","namespaces":["root/virtualization/v2"],"jobs":[{"namespace":"root/virtualization/v2","class":"Msvm_ConcreteJob","instanceID":"1","get":"hyperv/running/get.xml"%s}]}`
	tests := map[string]string{
		"missing.json":   "",
		"json.json":      `{"host":`,
		"unknown.json":   `{"host":"h","colour":"blue"}`,
		"nohost.json":    `{"jobs":[]}`,
		"inject.json":    strings.Replace(good, "%s", `,"inject":"explode"`, 1),
		"fixture.json":   strings.Replace(good, "%s", `,"methods":{"GetError":"no/such.xml"}`, 1),
		"notxml.json":    strings.Replace(good, "%s", `,"methods":{"GetError":"broken.xml"}`, 1),
		"notsoap.json":   strings.Replace(good, "%s", `,"methods":{"GetError":"plain.xml"}`, 1),
		"namespace.json": strings.Replace(strings.Replace(good, "%s", "", 1), `"namespaces":["root/virtualization/v2"]`, `"namespaces":["root/cimv2"]`, 1),
	}
	fsys := fstest.MapFS{}
	if err := fs.WalkDir(fixtures.FS, "responses", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fixtures.FS, p)
		fsys[p] = &fstest.MapFile{Data: data}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	fsys["responses/broken.xml"] = &fstest.MapFile{Data: []byte("<s:Envelope")}
	fsys["responses/plain.xml"] = &fstest.MapFile{Data: []byte("<html/>")}
	for name, content := range tests {
		if content != "" {
			fsys["scenarios/"+name] = &fstest.MapFile{Data: []byte(content)}
		}
	}
	fsys["scenarios/good.json"] = &fstest.MapFile{Data: []byte(strings.Replace(good, "%s", "", 1))}
	if _, err := New(Options{FS: fsys, Scenario: "good.json"}); err != nil {
		t.Fatalf("good scenario: %v", err)
	}
	for name := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := New(Options{FS: fsys, Scenario: name})
			var se *ScenarioError
			if !errors.As(err, &se) {
				t.Fatalf("error %v, want a *ScenarioError", err)
			}
		})
	}
}
