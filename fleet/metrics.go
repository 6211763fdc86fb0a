package fleet

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/cim/job"
)

// The metric families of a run, as NewCollector exports them. Their names
// follow the Prometheus naming guide: the cimjob_ prefix, base units
// (seconds), no _total since none is a counter. Label values are never
// free text (no messages, descriptions or job names) and are bounded in
// length and alphabet, since a host's answer is untrusted.
const (
	// MetricJobs counts the jobs a probe listed, by host, profile, JobState
	// name and JobType name: every job for Jobs, the failed ones for Check.
	MetricJobs = "cimjob_jobs"
	// MetricFailedJobInfo is one series of value 1 per failed job Check
	// found, labelled with its first CIM_Error's MessageID, severity and
	// CIM status code.
	MetricFailedJobInfo = "cimjob_failed_job_info"
	// MetricHostUp is 1 when the host answered, 0 when it was unreachable.
	MetricHostUp = "cimjob_host_up"
	// MetricHostProbeDuration is how long the host's probe took.
	MetricHostProbeDuration = "cimjob_host_probe_duration_seconds"
	// MetricHostFailedJobs is how many failed jobs Check found on a host
	// that answered. Only a Check run means anything by it: a caller that
	// ran Jobs or Identify leaves it out (see Families).
	MetricHostFailedJobs = "cimjob_host_failed_jobs"
	// MetricOldestRunningJobStart is, per host and profile, the Unix time
	// at which the oldest listed job that has started (StartTime not NULL)
	// and has not ended (a JobState that is not terminal) started; absent
	// when there is none. A job with no JobState is left out: nothing says
	// it still runs. Only a listing of every job (Jobs) can tell.
	MetricOldestRunningJobStart = "cimjob_oldest_running_job_start_timestamp_seconds"
)

// Bounds of the label values taken from a host's answer (InstanceID,
// MessageID): longer values are cut, and any byte outside labelSafe is
// replaced by '_', so that a hostile host can neither put text into a
// label nor blow up a series' size.
const (
	maxInstanceIDLabel = 128
	maxMessageIDLabel  = 64
	maxHostLabel       = 255 // a DNS name's limit; the host is the caller's
)

var (
	descJobs = prometheus.NewDesc(MetricJobs,
		"Jobs the probe listed, by JobState and JobType name (Check lists only the failed ones).",
		[]string{"host", "profile", "state", "type"}, nil)
	descFailedJobInfo = prometheus.NewDesc(MetricFailedJobInfo,
		"One series per failed job: its first CIM_Error's MessageID, PerceivedSeverity and CIMStatusCode.",
		[]string{"host", "profile", "instance_id", "job_type", "message_id", "severity", "cim_status_code"}, nil)
	descHostUp = prometheus.NewDesc(MetricHostUp,
		"1 if the host answered the probe, 0 if it was unreachable.",
		[]string{"host"}, nil)
	descHostProbeDuration = prometheus.NewDesc(MetricHostProbeDuration,
		"How long the host's probe took, in seconds.",
		[]string{"host"}, nil)
	descHostFailedJobs = prometheus.NewDesc(MetricHostFailedJobs,
		"Failed jobs found on the host (hosts that answered).",
		[]string{"host"}, nil)
	descOldestRunningJobStart = prometheus.NewDesc(MetricOldestRunningJobStart,
		"Unix time at which the oldest started job that has not ended started.",
		[]string{"host", "profile"}, nil)
)

// Families names the metric families a command's results carry: all of
// them for Check; Jobs and Identify never look for failed jobs, so
// MetricHostFailedJobs (always 0 there) and MetricFailedJobInfo are left
// out, as MetricJobs is for Identify.
func Families(check, listing bool) []string {
	f := []string{MetricHostUp, MetricHostProbeDuration}
	if listing || check {
		f = append(f, MetricJobs)
	}
	if listing {
		f = append(f, MetricOldestRunningJobStart)
	}
	if check {
		f = append(f, MetricFailedJobInfo, MetricHostFailedJobs)
	}
	return f
}

// NewCollector returns a collector of the results' metric families, for a
// fresh registry per run or per probe (an exporter's scrape). A host named
// twice is exported once, from its first result, since two series with the
// same labels make a registry refuse the whole scrape; so is a failed job
// listed twice on one host.
func NewCollector(results ...*HostResult) prometheus.Collector {
	return &collector{results: results}
}

type collector struct {
	results []*HostResult
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descJobs, descFailedJobInfo, descHostUp, descHostProbeDuration, descHostFailedJobs, descOldestRunningJobStart} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	seenHost := make(map[string]bool)
	for _, r := range c.results {
		if r == nil {
			continue
		}
		host := hostLabel(r.Host)
		if seenHost[host] {
			continue
		}
		seenHost[host] = true

		up := 0.0
		if r.Status != Unreachable {
			up = 1
		}
		gauge(ch, descHostUp, up, host)
		gauge(ch, descHostProbeDuration, r.Duration.Seconds(), host)
		if r.Status == Unreachable {
			continue
		}
		gauge(ch, descHostFailedJobs, float64(len(r.FailedJobs)), host)

		// Check lists only the failed jobs; Jobs lists them all.
		listed := r.Jobs
		if len(listed) == 0 {
			for i := range r.FailedJobs {
				listed = append(listed, r.FailedJobs[i].Listed)
			}
		}
		type jobKey struct{ profile, state, typ string }
		counts := make(map[jobKey]float64)
		var order []jobKey
		for _, l := range listed {
			k := jobKey{profile: l.Ref.Profile.Name}
			if p := l.Properties; p != nil {
				k.state, k.typ = enumLabel(p.JobState), enumLabel(p.JobType)
			}
			if _, ok := counts[k]; !ok {
				order = append(order, k)
			}
			counts[k]++
		}
		for _, k := range order {
			gauge(ch, descJobs, counts[k], host, k.profile, k.state, k.typ)
		}
		oldestRunning(ch, host, r.Jobs)

		seenJob := make(map[string]bool)
		for i := range r.FailedJobs {
			fj := &r.FailedJobs[i]
			id := safeLabel(fj.Ref.InstanceID, maxInstanceIDLabel)
			key := fj.Ref.Profile.Name + "\x00" + id
			if seenJob[key] {
				continue
			}
			seenJob[key] = true
			var typ, msgID, sev, status string
			if p := fj.Properties; p != nil {
				typ = enumLabel(p.JobType)
			}
			if fj.Result != nil && len(fj.Result.Errors) > 0 && fj.Result.Errors[0] != nil {
				e := fj.Result.Errors[0]
				msgID = safeLabel(e.MessageID, maxMessageIDLabel)
				sev = enumLabel(e.PerceivedSeverity)
				if e.CIMStatusCode != nil {
					status = strconv.FormatUint(e.CIMStatusCode.Value, 10)
				}
			}
			gauge(ch, descFailedJobInfo, 1,
				host, fj.Ref.Profile.Name, id, typ, msgID, sev, status)
		}
	}
}

// oldestRunning sends, per profile, the start of the oldest job of jobs
// that started and has not ended (see MetricOldestRunningJobStart).
func oldestRunning(ch chan<- prometheus.Metric, host string, jobs []job.Listed) {
	oldest := make(map[string]time.Time)
	var order []string
	for _, l := range jobs {
		p := l.Properties
		if p == nil || p.JobState == nil || job.Terminal(p.JobState.Value) ||
			p.StartTime == nil || p.StartTime.Interval || p.StartTime.Time.IsZero() {
			continue
		}
		name, t := l.Ref.Profile.Name, p.StartTime.Time
		if old, ok := oldest[name]; !ok {
			order = append(order, name)
		} else if !t.Before(old) {
			continue
		}
		oldest[name] = t
	}
	for _, name := range order {
		gauge(ch, descOldestRunningJobStart, float64(oldest[name].UnixMicro())/1e6, host, name)
	}
}

// CompactResult is r reduced to what the collector reads of it, for a
// caller that keeps results between runs (an exporter's cache): the
// method, its return value, and of the first CIM_Error its MessageID (cut
// as its label is), PerceivedSeverity and CIMStatusCode. nil gives nil.
func CompactResult(r *job.Result) *job.Result {
	if r == nil {
		return nil
	}
	c := &job.Result{Method: r.Method, ReturnValue: cim.Enum{Value: r.ReturnValue.Value, Name: r.ReturnValue.Name}}
	if len(r.Errors) > 0 && r.Errors[0] != nil {
		e := r.Errors[0]
		ce := &cim.Error{MessageID: e.MessageID}
		if len(ce.MessageID) > maxMessageIDLabel {
			ce.MessageID = strings.Clone(ce.MessageID[:maxMessageIDLabel])
		} else {
			ce.MessageID = strings.Clone(ce.MessageID)
		}
		ce.PerceivedSeverity = compactEnum(e.PerceivedSeverity)
		ce.CIMStatusCode = compactEnum(e.CIMStatusCode)
		c.Errors = []*cim.Error{ce}
	}
	return c
}

// compactEnum keeps the value and name of e, which enumLabel reads.
func compactEnum(e *cim.Enum) *cim.Enum {
	if e == nil {
		return nil
	}
	return &cim.Enum{Value: e.Value, Name: e.Name}
}

// gauge sends one gauge sample. A label value the registry refuses (it
// cannot happen with the values made here) fails the scrape with an
// error rather than a panic.
func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	m, err := prometheus.NewConstMetric(d, prometheus.GaugeValue, v, labels...)
	if err != nil {
		m = prometheus.NewInvalidMetric(d, err)
	}
	ch <- m
}

// enumLabel is the value map's name of e: bounded, since the names are
// the schema's, not the host's. A value no entry names is "unlisted"; a
// NULL one is "".
func enumLabel(e *cim.Enum) string {
	switch {
	case e == nil:
		return ""
	case e.Name == "":
		return "unlisted"
	}
	return e.Name
}

// safeLabel keeps the bytes of s that an InstanceID or MessageID is made
// of (letters, digits, and . _ : - { } /), replaces any other by '_', and
// cuts the result at max bytes.
func safeLabel(s string, max int) string {
	if len(s) > max {
		s = s[:max]
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		case strings.ContainsRune("._:-{}/", r):
			return r
		}
		return '_'
	}, s)
}

// hostLabel is the host as the caller named it, made valid UTF-8 without
// control characters (a hosts file is read, not trusted) and bounded.
func hostLabel(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '_'
		}
		return r
	}, s)
	for len(s) > maxHostLabel {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}
