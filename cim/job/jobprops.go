package job

import (
	"strconv"
	"strings"

	"github.com/cimjob/cimjob/cim"
)

// newProperties picks the properties worth showing out of a job instance. A value
// that does not parse is left out rather than failing the whole answer: the
// job's own properties are context, the errors are the point.
func newProperties(p Profile, inst *cim.Instance) *Properties {
	j := &Properties{Instance: inst}
	j.ElementName = str(inst, "ElementName")
	j.ErrorDescription = str(inst, "ErrorDescription")
	j.ErrorSummaryDescription = str(inst, "ErrorSummaryDescription")
	j.JobStatus = str(inst, "JobStatus")
	j.JobState = enum(inst, "JobState", p.JobStateMap)
	if p.JobTypeMap != 0 {
		j.JobType = enum(inst, "JobType", p.JobTypeMap)
	}
	j.PercentComplete = num(inst, "PercentComplete")
	j.ErrorCode = num(inst, "ErrorCode")
	j.StartTime = datetime(inst, "StartTime")
	j.ElapsedTime = datetime(inst, "ElapsedTime")
	j.TimeOfLastStateChange = datetime(inst, "TimeOfLastStateChange")
	if prop := inst.Property("OperationalStatus"); prop != nil && !prop.Null {
		for _, v := range prop.Values {
			n, err := strconv.ParseUint(strings.TrimSpace(v.Text), 10, 64)
			if v.Null || err != nil {
				continue
			}
			j.OperationalStatus = append(j.OperationalStatus, cim.CIMManagedSystemElementOperationalStatus.Lookup(n))
		}
	}
	return j
}

func scalar(inst *cim.Instance, name string) (cim.Value, bool) {
	p := inst.Property(name)
	if p == nil || p.Null || len(p.Values) == 0 || p.Values[0].Null {
		return cim.Value{}, false
	}
	return p.Values[0], true
}

func str(inst *cim.Instance, name string) string {
	t, _ := inst.Property(name).Text()
	return t
}

func num(inst *cim.Instance, name string) *uint64 {
	n, err := inst.Property(name).Uint()
	if err != nil {
		return nil
	}
	return &n
}

func enum(inst *cim.Instance, name string, m cim.ValueMap) *cim.Enum {
	n := num(inst, name)
	if n == nil {
		return nil
	}
	e := m.Lookup(*n)
	return &e
}

func datetime(inst *cim.Instance, name string) *cim.Datetime {
	v, ok := scalar(inst, name)
	if !ok {
		return nil
	}
	if v.Datetime != nil {
		return v.Datetime
	}
	if d, err := cim.ParseDatetime(strings.TrimSpace(v.Text)); err == nil {
		return d
	}
	return nil
}
