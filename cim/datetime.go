package cim

import "time"

// Datetime is a CIM datetime: either a point in time (timestamp) or a
// duration (interval), as DSP0004 defines the one type for both.
type Datetime struct {
	// Interval is set for intervals; Duration is then meaningful and Time is not.
	Interval bool
	Time     time.Time
	Duration time.Duration
	// Raw is the text as sent (DMTF 25-character form, xs:dateTime or
	// xs:duration).
	Raw string
}
