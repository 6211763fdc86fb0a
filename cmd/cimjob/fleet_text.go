package main

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/cimjob/cimjob/cim"
	"github.com/cimjob/cimjob/cim/job"
	"github.com/cimjob/cimjob/fleet"
	"github.com/cimjob/cimjob/wsman"
)

// fleetText is -o text of the fleet commands: it keeps the hosts until
// Done, then prints one aligned table for the command (in host order, so
// that two runs over the same hosts compare), check's failed jobs as
// error prints them, the hosts that did not answer with why, and a
// summary line.
type fleetText struct {
	cmd   fleetCommand
	w     io.Writer
	style fleetStyle
	hosts []*fleet.HostResult
}

func newFleetText(cmd fleetCommand, w io.Writer, style fleetStyle) fleetWriter {
	return &fleetText{cmd: cmd, w: w, style: style}
}

func (t *fleetText) Host(r *fleet.HostResult) error {
	t.hosts = append(t.hosts, r)
	return nil
}

// ANSI SGR colours of the text output.
const (
	sgrBold   = "1"
	sgrRed    = "31"
	sgrGreen  = "32"
	sgrYellow = "33"
)

func (t *fleetText) Done(s fleet.Summary) error {
	sort.SliceStable(t.hosts, func(i, j int) bool { return t.hosts[i].Host < t.hosts[j].Host })
	bw := bufio.NewWriter(t.w)
	tb := &table{color: t.style.color}
	var down []*fleet.HostResult
	switch t.cmd {
	case cmdJobs:
		tb.header("HOST", "INSTANCEID", "NAME", "TYPE", "STATE", "%", "ERRORCODE", "ERRORDESCRIPTION", "STARTED", "ELAPSED")
	case cmdCheck:
		tb.header("HOST", "INSTANCEID", "NAME", "STATE", "ERRORCODE", "ERRORS")
	case cmdIdentify:
		tb.header("HOST", "VENDOR", "PRODUCT VERSION", "PROTOCOL VERSION", "AUTH")
	}
	for _, r := range t.hosts {
		if r.Status == fleet.Unreachable {
			down = append(down, r)
			continue
		}
		switch t.cmd {
		case cmdJobs:
			for _, j := range r.Jobs {
				p := props(j.Properties)
				tb.row(cell{text: r.Host}, cell{text: j.Ref.InstanceID}, cell{text: p.ElementName},
					cell{text: enumName(p.JobType)}, stateCell(p), cell{text: uintText(p.PercentComplete)},
					cell{text: uintText(p.ErrorCode)}, cell{text: p.ErrorDescription},
					cell{text: datetimeText(p.StartTime)}, cell{text: datetimeText(p.ElapsedTime)})
			}
		case cmdCheck:
			for _, fj := range r.FailedJobs {
				p := props(fj.Properties)
				errs := "-"
				switch {
				case fj.Vanished:
					errs = "gone"
				case fj.Err != nil:
					errs = "unread"
				case fj.Result != nil:
					errs = fmt.Sprint(len(fj.Result.Errors))
				}
				tb.row(cell{text: r.Host}, cell{text: fj.Ref.InstanceID}, cell{text: p.ElementName},
					stateCell(p), cell{text: uintText(p.ErrorCode)}, cell{text: errs})
			}
		case cmdIdentify:
			id := r.Identity
			if id == nil {
				id = new(wsman.Identity)
			}
			tb.row(cell{text: r.Host}, cell{text: id.ProductVendor}, cell{text: id.ProductVersion},
				cell{text: id.ProtocolVersion}, cell{text: "ok", sgr: sgrGreen})
		}
	}
	if t.cmd == cmdJobs {
		tb.dropEmpty(3) // TYPE: only Hyper-V's jobs have one
	}
	if len(tb.rows) > 0 {
		tb.write(bw)
	}
	if t.cmd == cmdCheck {
		t.writeFailedJobs(bw)
	}
	if len(down) > 0 {
		fmt.Fprintf(bw, "\n%s\n", paint(t.style.color, sgrBold, "Hosts that did not answer:"))
		dt := &table{color: t.style.color}
		for _, r := range down {
			msg := oneLine(r.Err.Error())
			if h := hint(r.Err); h != "" {
				msg += "; " + h
			}
			dt.row(cell{text: r.Host}, cell{text: msg, sgr: sgrRed})
		}
		dt.write(bw)
	}
	fmt.Fprintf(bw, "\n%s\n", summaryText(t.cmd, s))
	return bw.Flush()
}

// writeFailedJobs prints each failed job of check as error prints it.
func (t *fleetText) writeFailedJobs(bw *bufio.Writer) {
	for _, r := range t.hosts {
		for _, fj := range r.FailedJobs {
			fmt.Fprintf(bw, "\n%s\n", paint(t.style.color, sgrBold, "== "+oneLine(r.Host)+": "+oneLine(fj.Ref.InstanceID)))
			switch {
			case fj.Vanished:
				fmt.Fprintln(bw, "The job ended and was removed before its errors could be read.")
			case fj.Err != nil:
				msg := oneLine(fj.Err.Error())
				if h := hint(fj.Err); h != "" {
					msg += "; " + h
				}
				fmt.Fprintf(bw, "Its errors could not be read: %s\n", msg)
			case fj.Result != nil:
				_ = bw.Flush()
				_ = writeText(bw, r.URL, fj.Result)
			}
		}
	}
}

// summaryText is the run in one line.
func summaryText(cmd fleetCommand, s fleet.Summary) string {
	answered := s.Healthy + s.Failed
	line := fmt.Sprintf("%s: %d answered", count(s.Targets, "host"), answered)
	if cmd != cmdIdentify {
		line += fmt.Sprintf(" (%d with failed jobs)", s.Failed)
	}
	line += fmt.Sprintf(", %d did not answer", s.Unreachable)
	if cmd == cmdCheck {
		line += "; " + count(s.FailedJobs, "failed job")
	}
	if s.Cancelled {
		line += "; cut short: the hosts that had not answered are listed above"
	}
	return line + "."
}

// count is "1 host", "2 hosts".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// props is p, or empty properties for a job listed without them.
func props(p *job.Properties) *job.Properties {
	if p == nil {
		return &job.Properties{}
	}
	return p
}

// stateCell is a job's state, red when failed, yellow when stopped.
func stateCell(p *job.Properties) cell {
	c := cell{text: enumName(p.JobState)}
	if p.JobState == nil {
		return c
	}
	switch p.JobState.Value {
	case job.StateException:
		c.sgr = sgrRed
	case job.StateKilled, job.StateTerminated:
		c.sgr = sgrYellow
	case job.StateCompleted:
		if p.ErrorCode != nil && *p.ErrorCode != 0 {
			c.sgr = sgrRed
		}
	}
	return c
}

// enumName is an enumeration's name, or its number when it has none.
func enumName(e *cim.Enum) string {
	switch {
	case e == nil:
		return ""
	case e.Name != "":
		return e.Name
	}
	return fmt.Sprint(e.Value)
}

func uintText(v *uint64) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(*v)
}

func datetimeText(d *cim.Datetime) string {
	if d == nil {
		return ""
	}
	return d.String()
}

// cell is one table cell: text from a host (cleaned when the table
// writes it) and the colour it may have.
type cell struct {
	text string
	sgr  string
}

// table lays out rows in columns padded to their widest cell, colour
// added after padding so that escapes do not count as width.
type table struct {
	color bool
	rows  [][]cell
	head  []cell
}

func (tb *table) header(names ...string) {
	for _, n := range names {
		tb.head = append(tb.head, cell{text: n, sgr: sgrBold})
	}
}

func (tb *table) row(cells ...cell) {
	for i := range cells {
		cells[i].text = oneLine(cells[i].text)
		if cells[i].text == "" {
			cells[i].text = "-"
		}
	}
	tb.rows = append(tb.rows, cells)
}

// dropEmpty removes column i when no row has a value in it.
func (tb *table) dropEmpty(i int) {
	for _, r := range tb.rows {
		if i < len(r) && r[i].text != "-" {
			return
		}
	}
	drop := func(r []cell) []cell {
		if i >= len(r) {
			return r
		}
		return append(r[:i:i], r[i+1:]...)
	}
	tb.head = drop(tb.head)
	for j := range tb.rows {
		tb.rows[j] = drop(tb.rows[j])
	}
}

func (tb *table) write(w io.Writer) {
	all := tb.rows
	if tb.head != nil {
		all = append([][]cell{tb.head}, tb.rows...)
	}
	var width []int
	for _, r := range all {
		for i, c := range r {
			if i >= len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], displayWidth(c.text))
		}
	}
	for _, r := range all {
		var b strings.Builder
		for i, c := range r {
			text := c.text
			b.WriteString(paint(tb.color, c.sgr, text))
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", width[i]-displayWidth(text)+2))
			}
		}
		fmt.Fprintln(w, b.String())
	}
}

// paint wraps s in an SGR colour when colour is on.
func paint(on bool, sgr, s string) string {
	if !on || sgr == "" {
		return s
	}
	return "\x1b[" + sgr + "m" + s + "\x1b[0m"
}

// displayWidth is how many terminal columns s takes: two for an East
// Asian wide or fullwidth character (Hyper-V's Japanese, Chinese and
// Korean job names), one for any other (s is sanitized: no controls).
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x1100 && (r <= 0x115f || r >= 0x2e80 && r <= 0xa4cf && r != 0x303f ||
			r >= 0xac00 && r <= 0xd7a3 || r >= 0xf900 && r <= 0xfaff || r >= 0xfe30 && r <= 0xfe4f ||
			r >= 0xff00 && r <= 0xff60 || r >= 0xffe0 && r <= 0xffe6 || r >= 0x20000 && r <= 0x3fffd) {
			n++
		}
	}
	return n
}
