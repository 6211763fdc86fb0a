package cim

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Datetime is a CIM datetime: either a point in time (timestamp) or a
// duration (interval), as DSP0004 defines the one type for both.
type Datetime struct {
	// Interval is set for intervals; Duration is then meaningful and Time is not.
	Interval bool
	// Time is the zero time.Time for the all-zero DMTF timestamp, which
	// DSP0004 uses for "the date and time cannot be reported".
	Time time.Time
	// Duration saturates at math.MaxInt64 for intervals longer than a
	// time.Duration can hold (about 292 years), such as the DMTF
	// "infinite" interval 99999999235959.000000:000.
	Duration time.Duration
	// Raw is the text as sent (DMTF 25-character form, xs:dateTime or
	// xs:duration).
	Raw string
}

// dmtfLen is the length of both DMTF datetime string forms.
const dmtfLen = 25

// ParseDatetime parses the text forms a CIM datetime takes on the wire:
//
//   - the DMTF 25-character timestamp "yyyymmddhhmmss.mmmmmmsutc" and
//     interval "ddddddddhhmmss.mmmmmm:000", told apart by the character at
//     index 21, with DSP0004 asterisks for insignificant trailing digits
//     (and the WMI "+***" unzoned offset, read as UTC);
//   - xs:dateTime with any fraction length and a Z, ±hh:mm or no zone (no
//     zone is read as UTC), plus xs:date and xs:time as WS-CIM cim:Date and
//     cim:Time carry them;
//   - xs:duration, with or without zero components ("P", "PT0S",
//     "P0DT0H5M0S"); Y and M are read as 365 and 30 days, as OMI does.
//
// Surrounding white space is ignored; Raw keeps s as given.
func ParseDatetime(s string) (*Datetime, error) {
	t := strings.TrimSpace(s)
	var (
		d   *Datetime
		err error
	)
	switch {
	case len(t) == dmtfLen && t[14] == '.':
		d, err = parseDMTF(t)
	case strings.HasPrefix(t, "P") || strings.HasPrefix(t, "-P"):
		d, err = parseXSDuration(t)
	default:
		d, err = parseXSDateTime(t)
	}
	if err != nil {
		return nil, &DecodeError{Format: FormatDatetime, Reason: fmt.Sprintf("%q is not a CIM datetime", s), Err: err}
	}
	d.Raw = s
	return d, nil
}

// parseDMTF parses the two 25-character DMTF forms (DSP0004 5.2.4).
func parseDMTF(s string) (*Datetime, error) {
	interval := s[21] == ':'
	if !interval && s[21] != '+' && s[21] != '-' {
		return nil, fmt.Errorf("character 22 is %q, want '+', '-' or ':'", s[21])
	}
	var fields [][2]int // [start, end) of each numeric field, most significant first
	if interval {
		fields = [][2]int{{0, 8}, {8, 10}, {10, 12}, {12, 14}, {15, 21}}
		if s[22:] != "000" {
			return nil, fmt.Errorf("interval ends %q, want \":000\"", s[21:])
		}
	} else {
		fields = [][2]int{{0, 4}, {4, 6}, {6, 8}, {8, 10}, {10, 12}, {12, 14}, {15, 21}}
	}
	if err := checkAsterisks(s, fields); err != nil {
		return nil, err
	}
	n := make([]int64, len(fields))
	wild := make([]bool, len(fields))
	for i, f := range fields {
		txt := s[f[0]:f[1]]
		wild[i] = strings.Contains(txt, "*")
		v, err := strconv.ParseUint(strings.ReplaceAll(txt, "*", "0"), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("field %q is not a number", txt)
		}
		n[i] = int64(v)
	}
	if interval {
		return dmtfInterval(n)
	}
	return dmtfTimestamp(s, n, wild)
}

// checkAsterisks enforces DSP0004: asterisks replace digits consecutively
// from the least significant end, and outside the microseconds only whole
// fields.
func checkAsterisks(s string, fields [][2]int) error {
	first := -1
	for i := 0; i < 21; i++ {
		if s[i] == '*' {
			first = i
			break
		}
	}
	if first < 0 {
		return nil
	}
	for i := first; i < 21; i++ {
		if i != 14 && s[i] != '*' {
			return fmt.Errorf("asterisks must run to the end of the microseconds")
		}
	}
	if first >= 15 {
		return nil
	}
	for _, f := range fields {
		if f[0] == first {
			return nil
		}
	}
	return fmt.Errorf("asterisks must cover whole fields outside the microseconds")
}

func dmtfInterval(n []int64) (*Datetime, error) {
	days, h, m, sec, us := n[0], n[1], n[2], n[3], n[4]
	if h > 23 || m > 59 || sec > 59 {
		return nil, fmt.Errorf("interval time of day %02d:%02d:%02d out of range", h, m, sec)
	}
	d := &Datetime{Interval: true}
	const maxDays = int64(math.MaxInt64 / int64(24*time.Hour))
	if days >= maxDays {
		d.Duration = math.MaxInt64
		return d, nil
	}
	d.Duration = time.Duration(days)*24*time.Hour + time.Duration(h)*time.Hour +
		time.Duration(m)*time.Minute + time.Duration(sec)*time.Second + time.Duration(us)*time.Microsecond
	return d, nil
}

func dmtfTimestamp(s string, n []int64, wild []bool) (*Datetime, error) {
	year, month, day, h, m, sec, us := n[0], n[1], n[2], n[3], n[4], n[5], n[6]
	d := &Datetime{}
	if year == 0 && month == 0 && day == 0 && !wild[1] && !wild[2] {
		// DSP0004: an all-zero date means the time cannot be reported.
		return d, nil
	}
	// Unknown ("*") month and day become the first, so the time is valid.
	if wild[1] {
		month = 1
	}
	if wild[2] {
		day = 1
	}
	if month < 1 || month > 12 || day < 1 || day > 31 || h > 23 || m > 59 || sec > 59 {
		return nil, fmt.Errorf("date or time field out of range")
	}
	offset := 0
	if s[22:] != "***" {
		v, err := strconv.Atoi(s[22:])
		if err != nil || s[22] < '0' || s[22] > '9' {
			return nil, fmt.Errorf("UTC offset %q is not 3 digits", s[22:])
		}
		offset = v * 60
		if s[21] == '-' {
			offset = -offset
		}
	}
	zone := time.UTC
	if offset != 0 {
		zone = time.FixedZone("", offset)
	}
	t := time.Date(int(year), time.Month(month), int(day), int(h), int(m), int(sec), int(us)*1000, zone)
	if t.Day() != int(day) {
		return nil, fmt.Errorf("day %d does not exist in %04d-%02d", day, year, month)
	}
	d.Time = t
	return d, nil
}

// xsDateTimeLayouts are tried in order; time.Parse accepts a fraction of
// any length after the seconds even though the layouts name none.
var xsDateTimeLayouts = [...]string{
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02Z07:00",
	"2006-01-02",
	"15:04:05Z07:00",
	"15:04:05",
}

func parseXSDateTime(s string) (*Datetime, error) {
	var firstErr error
	for _, layout := range xsDateTimeLayouts {
		t, err := time.Parse(layout, s)
		if err == nil {
			return &Datetime{Time: t}, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, firstErr
}

// parseXSDuration parses xs:duration: -?P(nY)?(nM)?(nD)?(T(nH)?(nM)?(n(.n)?S)?)?
func parseXSDuration(s string) (*Datetime, error) {
	neg := strings.HasPrefix(s, "-")
	rest := strings.TrimPrefix(strings.TrimPrefix(s, "-"), "P")
	datePart, timePart, hasT := strings.Cut(rest, "T")
	if hasT && timePart == "" {
		return nil, fmt.Errorf("no time components after T")
	}
	var total float64 // seconds; float so that overflow saturates instead of wrapping
	add := func(part, units string, secs []float64) error {
		next := 0 // index in units: designators must come in order
		for part != "" {
			i := strings.IndexAny(part, units)
			if i <= 0 {
				return fmt.Errorf("component %q lacks a number or designator", part)
			}
			u := strings.IndexByte(units, part[i])
			if u < next {
				return fmt.Errorf("designator %q out of order", part[i])
			}
			num := part[:i]
			if !isDecimal(num, units[u] == 'S') {
				return fmt.Errorf("bad number %q", num)
			}
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return fmt.Errorf("bad number %q", num)
			}
			total += v * secs[u]
			next = u + 1
			part = part[i+1:]
		}
		return nil
	}
	const day = 24 * 3600
	if err := add(datePart, "YMD", []float64{365 * day, 30 * day, day}); err != nil {
		return nil, err
	}
	if err := add(timePart, "HMS", []float64{3600, 60, 1}); err != nil {
		return nil, err
	}
	d := &Datetime{Interval: true}
	ns := total * 1e9
	if ns >= math.MaxInt64 {
		d.Duration = math.MaxInt64
	} else {
		d.Duration = time.Duration(math.Round(ns))
	}
	if neg {
		d.Duration = -d.Duration
	}
	return d, nil
}

// isDecimal reports whether s is digits, with one '.' among them if
// fraction is set (xs:duration allows a fraction only on seconds).
func isDecimal(s string, fraction bool) bool {
	digits, dots := 0, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] >= '0' && s[i] <= '9':
			digits++
		case s[i] == '.' && fraction:
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}

// String gives a readable form: "2024-05-01 12:00:00.25 +02:00" for a
// timestamp, "1 day 12:00:32" or "00:05:00.000250" for an interval.
func (d Datetime) String() string {
	if d.Interval {
		return formatInterval(d.Duration)
	}
	if d.Time.IsZero() {
		return "unknown time"
	}
	return d.Time.Format("2006-01-02 15:04:05.999999 -07:00")
}

func formatInterval(dur time.Duration) string {
	if dur == math.MaxInt64 {
		return "infinite"
	}
	sign := ""
	if dur < 0 {
		sign = "-"
		dur = -dur
	}
	days := dur / (24 * time.Hour)
	dur -= days * 24 * time.Hour
	h, m := dur/time.Hour, (dur%time.Hour)/time.Minute
	sec, frac := (dur%time.Minute)/time.Second, dur%time.Second
	out := fmt.Sprintf("%02d:%02d:%02d", h, m, sec)
	if frac != 0 {
		// CIM intervals count microseconds (DMTF's ddddddddhhmmss.mmmmmm);
		// an xs:duration may carry more digits than that means.
		if us := frac / time.Microsecond; us != 0 {
			out += strings.TrimRight(fmt.Sprintf(".%06d", us), "0")
		}
	}
	switch days {
	case 0:
	case 1:
		out = "1 day " + out
	default:
		out = fmt.Sprintf("%d days %s", days, out)
	}
	return sign + out
}

// datetimeJSON is the JSON form of a Datetime. Time is a pointer so that
// the unknown (all-zero) timestamp encodes as null.
type datetimeJSON struct {
	Raw      string  `json:"raw"`
	Interval bool    `json:"interval"`
	Time     *string `json:"time,omitempty"`
	Duration *string `json:"duration,omitempty"`
}

// MarshalJSON encodes {"raw", "interval", "time"} for timestamps (RFC 3339
// with nanoseconds, null when unknown) and {"raw", "interval", "duration"}
// for intervals (Go duration syntax).
func (d Datetime) MarshalJSON() ([]byte, error) {
	out := datetimeJSON{Raw: d.Raw, Interval: d.Interval}
	if d.Interval {
		s := d.Duration.String()
		out.Duration = &s
		return json.Marshal(out)
	}
	if d.Time.IsZero() {
		// omitempty would drop the key; write it as an explicit null.
		return json.Marshal(struct {
			Raw      string  `json:"raw"`
			Interval bool    `json:"interval"`
			Time     *string `json:"time"`
		}{d.Raw, false, nil})
	}
	s := d.Time.Format(time.RFC3339Nano)
	out.Time = &s
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON writes, so that a JSON report can be
// read back into Go values. The raw text is authoritative: it is parsed
// again, and the other fields are used only when it is absent.
func (d *Datetime) UnmarshalJSON(b []byte) error {
	var in datetimeJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	if in.Raw != "" {
		p, err := ParseDatetime(in.Raw)
		if err != nil {
			return err
		}
		*d = *p
		return nil
	}
	*d = Datetime{Interval: in.Interval}
	switch {
	case in.Interval && in.Duration != nil:
		v, err := time.ParseDuration(*in.Duration)
		if err != nil {
			return err
		}
		d.Duration = v
	case !in.Interval && in.Time != nil:
		v, err := time.Parse(time.RFC3339Nano, *in.Time)
		if err != nil {
			return err
		}
		d.Time = v
	}
	return nil
}
