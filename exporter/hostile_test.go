package exporter

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cimjob/cimjob/fleet"
)

// hostileHost answers any Enumerate or Pull with perReply failed jobs and
// a context to pull on, ending the enumeration after endAfter replies (0:
// never). It needs no authentication but Basic, which it ignores.
func hostileHost(t testing.TB, perReply int, endAfter int64) (target string, replies *atomic.Int64) {
	t.Helper()
	replies = new(atomic.Int64)
	midRE := regexp.MustCompile(`<a:MessageID[^>]*>([^<]+)<`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mid := midRE.FindSubmatch(b)
		if mid == nil {
			http.Error(w, "no MessageID", http.StatusBadRequest)
			return
		}
		n := replies.Add(1)
		action, p := "PullResponse", "n"
		if strings.Contains(string(b), "enumeration/Enumerate<") {
			action, p = "EnumerateResponse", "w"
		}
		var sb strings.Builder
		fmt.Fprintf(&sb, `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header><a:Action>http://schemas.xmlsoap.org/ws/2004/09/enumeration/%s</a:Action><a:MessageID>uuid:%d</a:MessageID><a:RelatesTo>%s</a:RelatesTo></s:Header><s:Body><n:%s><n:EnumerationContext>c</n:EnumerationContext><%s:Items>`, action, n, mid[1], action, p)
		for i := 0; i < perReply; i++ {
			fmt.Fprintf(&sb, `<p:Msvm_ConcreteJob xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/Msvm_ConcreteJob"><p:InstanceID>J%d-%d</p:InstanceID><p:JobState>10</p:JobState></p:Msvm_ConcreteJob>`, n, i)
		}
		fmt.Fprintf(&sb, "</%s:Items>", p)
		if endAfter > 0 && n >= endAfter {
			fmt.Fprintf(&sb, "<%s:EndOfSequence/>", p)
		}
		fmt.Fprintf(&sb, "</n:%s></s:Body></s:Envelope>", action)
		w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
		_, _ = io.WriteString(w, sb.String())
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), replies
}

// hostileConfig reaches hostileHost (Basic over plain HTTP).
func hostileConfig(t testing.TB) *Config {
	t.Helper()
	y := "modules:\n  hyperv:\n    auth: basic\n    allow_unencrypted: true\n    username: u\n    password_env: PW\n    timeout: 20s\n    max_failed_jobs: 1\n"
	cfg, err := ParseConfig([]byte(y), "", env(map[string]string{"PW": "pw"}))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// A host that lists failed jobs without end cannot make one probe hold
// more than the probe's reply budget: the probe fails (protocol) once the
// replies pass it, rather than reading until the deadline.
func TestProbeReplyBudget(t *testing.T) {
	target, replies := hostileHost(t, 1000, 0)
	e := New(hostileConfig(t), Options{})
	defer e.Close()
	e.maxProbeBytes = 1 << 20 // replies are about 150 KB
	r := scrape(t, e, "module=hyperv&target="+target, "")
	if r.gauge(MetricProbeSuccess) != 0 || r.label(MetricProbeFailureInfo, "reason") != string(ReasonProtocol) {
		t.Errorf("success %v, reason %q; want 0, protocol", r.gauge(MetricProbeSuccess), r.label(MetricProbeFailureInfo, "reason"))
	}
	if n := replies.Load(); n > 10 {
		t.Errorf("%d replies read, want the budget's (about 7)", n)
	}
}

// A host that lists more jobs than maxListedJobs fails the probe
// (protocol) rather than making the answer a series per job.
func TestProbeListedJobsBound(t *testing.T) {
	target, _ := hostileHost(t, 1000, 3)
	e := New(hostileConfig(t), Options{})
	defer e.Close()
	e.maxListedJobs = 2500
	r := scrape(t, e, "module=hyperv&target="+target, "")
	if r.gauge(MetricProbeSuccess) != 0 || r.label(MetricProbeFailureInfo, "reason") != string(ReasonProtocol) {
		t.Errorf("success %v, reason %q; want 0, protocol", r.gauge(MetricProbeSuccess), r.label(MetricProbeFailureInfo, "reason"))
	}
	if n := r.count(fleet.MetricFailedJobInfo); n != 0 {
		t.Errorf("%d failed-job series", n)
	}
	// Within the bound, the same host is probed.
	e.maxListedJobs = 3000
	if r := scrape(t, e, "module=hyperv&target="+target, ""); r.gauge(MetricProbeSuccess) != 1 {
		t.Errorf("within the bound: success %v:\n%.500s", r.gauge(MetricProbeSuccess), r.body)
	}
}
