package cim

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"
)

func TestParseDatetime(t *testing.T) {
	minus5 := time.FixedZone("", -5*3600)
	tests := []struct {
		in       string
		interval bool
		time     time.Time
		dur      time.Duration
		str      string
	}{
		{in: "20041114120523.243424-300", time: time.Date(2004, 11, 14, 12, 5, 23, 243424000, minus5), str: "2004-11-14 12:05:23.243424 -05:00"},
		{in: "20230101000000.000000+000", time: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), str: "2023-01-01 00:00:00 +00:00"},
		{in: "20180911124613.128***+000", time: time.Date(2018, 9, 11, 12, 46, 13, 128000000, time.UTC)},
		{in: "2018091112****.******+060", time: time.Date(2018, 9, 11, 12, 0, 0, 0, time.FixedZone("", 3600))},
		{in: "20180911124613.000000+***", time: time.Date(2018, 9, 11, 12, 46, 13, 0, time.UTC)},
		{in: "00000000000000.000000+000", str: "unknown time"},
		{in: "  20230101000000.000000+000\n", time: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)},
		{in: "00000001120032.000000:000", interval: true, dur: 36*time.Hour + 32*time.Second, str: "1 day 12:00:32"},
		{in: "00000000000500.000000:000", interval: true, dur: 5 * time.Minute, str: "00:05:00"},
		{in: "00000000000000.000250:000", interval: true, dur: 250 * time.Microsecond, str: "00:00:00.00025"},
		{in: "00000000000000.******:000", interval: true},
		{in: "99999999235959.000000:000", interval: true, dur: math.MaxInt64, str: "infinite"},
		{in: "2013-04-15T16:28:47.73517Z", time: time.Date(2013, 4, 15, 16, 28, 47, 735170000, time.UTC)},
		{in: "2014-04-03T14:45:50.46875+08:00", time: time.Date(2014, 4, 3, 14, 45, 50, 468750000, time.FixedZone("", 8*3600))},
		{in: "2013-03-09T03:06:25Z", time: time.Date(2013, 3, 9, 3, 6, 25, 0, time.UTC)},
		{in: "2013-03-09T03:06:25.1234567891Z", time: time.Date(2013, 3, 9, 3, 6, 25, 123456789, time.UTC)},
		{in: "2013-03-09T03:06:25", time: time.Date(2013, 3, 9, 3, 6, 25, 0, time.UTC)},
		{in: "2013-03-09", time: time.Date(2013, 3, 9, 0, 0, 0, 0, time.UTC)},
		{in: "P", interval: true},
		{in: "PT0S", interval: true},
		{in: "P0DT0H5M0S", interval: true, dur: 5 * time.Minute},
		{in: "P0DT0H1M40S", interval: true, dur: 100 * time.Second},
		{in: "P1DT2H", interval: true, dur: 26 * time.Hour, str: "1 day 02:00:00"},
		{in: "PT1.5S", interval: true, dur: 1500 * time.Millisecond},
		{in: "P3D", interval: true, dur: 72 * time.Hour, str: "3 days 00:00:00"},
		{in: "-PT1M", interval: true, dur: -time.Minute, str: "-00:01:00"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			d, err := ParseDatetime(tc.in)
			if err != nil {
				t.Fatalf("ParseDatetime: %v", err)
			}
			if d.Raw != tc.in || d.Interval != tc.interval {
				t.Errorf("Raw=%q Interval=%v, want %q %v", d.Raw, d.Interval, tc.in, tc.interval)
			}
			if tc.interval && d.Duration != tc.dur {
				t.Errorf("Duration = %v, want %v", d.Duration, tc.dur)
			}
			if !tc.interval && !d.Time.Equal(tc.time) {
				t.Errorf("Time = %v, want %v", d.Time, tc.time)
			}
			if tc.str != "" && d.String() != tc.str {
				t.Errorf("String() = %q, want %q", d.String(), tc.str)
			}
		})
	}
}

func TestParseDatetimeRejects(t *testing.T) {
	for _, in := range []string{
		"",
		"yesterday",
		"20041114120523.243424*300",   // bad discriminator
		"20041314120523.243424-300",   // month 13
		"20230231120523.243424-300",   // 31 February
		"20041114250523.243424-300",   // hour 25
		"20041114120523.243424-3x0",   // offset not digits
		"2004111412052*.243424-300",   // asterisk inside a field
		"20041114120523.24*424-300",   // asterisks not at the end
		"00000001120032.000000:001",   // interval tail
		"00000001250032.000000:000",   // interval hours
		"2004-13-01T00:00:00Z",        // month 13
		"PT",                          // no components after T
		"P5",                          // no designator
		"PInfD",                       // not a number
		"P1S",                         // seconds in the date part
		"PT1M2H",                      // out of order
		"P1.5D",                       // fraction outside seconds
		"2013-04-15T16:28:47.73517+8", // bad zone
	} {
		_, err := ParseDatetime(in)
		var de *DecodeError
		if !errors.As(err, &de) || de.Format != FormatDatetime {
			t.Errorf("ParseDatetime(%q) error = %v, want a datetime *DecodeError", in, err)
		}
	}
}

func TestDatetimeJSON(t *testing.T) {
	tests := []struct{ in, want string }{
		{"20041114120523.243424-300", `{"raw":"20041114120523.243424-300","interval":false,"time":"2004-11-14T12:05:23.243424-05:00"}`},
		{"00000001120032.000000:000", `{"raw":"00000001120032.000000:000","interval":true,"duration":"36h0m32s"}`},
		{"00000000000000.000000+000", `{"raw":"00000000000000.000000+000","interval":false,"time":null}`},
	}
	for _, tc := range tests {
		d, err := ParseDatetime(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("json(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func FuzzParseDatetime(f *testing.F) {
	for _, s := range []string{
		"20041114120523.243424-300", "00000001120032.000000:000", "20180911124613.128***+000",
		"99999999235959.000000:000", "2013-04-15T16:28:47.73517Z", "P0DT0H5M0S", "P", "PT1.5S", "-P1Y2M",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDatetime(s)
		if err != nil {
			return
		}
		_ = d.String()
		if _, err := json.Marshal(d); err != nil {
			t.Fatalf("MarshalJSON(%q): %v", s, err)
		}
	})
}

func TestDatetimeJSONRoundTrip(t *testing.T) {
	for _, raw := range []string{"20041114120523.243424-300", "00000001120032.000000:000", "2013-04-15T16:28:47.73517Z", "P0DT0H5M0S", "00000000000000.000000+000"} {
		d, err := ParseDatetime(raw)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var back Datetime
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if !back.Time.Equal(d.Time) || back.Duration != d.Duration || back.Interval != d.Interval || back.Raw != d.Raw {
			t.Errorf("%s: round trip gave %+v, want %+v", raw, back, *d)
		}
	}
}

// TestIntervalStringMicroseconds: an interval is shown to the microsecond,
// the precision CIM gives it, however many digits an xs:duration carried.
func TestIntervalStringMicroseconds(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{3*time.Hour + 17*time.Minute + 43*time.Second + 803001013*time.Nanosecond, "03:17:43.803001"},
		{5*time.Second + 500*time.Nanosecond, "00:00:05"},
		{90 * time.Second, "00:01:30"},
	} {
		if got := (Datetime{Interval: true, Duration: tt.d}).String(); got != tt.want {
			t.Errorf("%v: %q, want %q", tt.d, got, tt.want)
		}
	}
}
