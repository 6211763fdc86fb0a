package main

import (
	"fmt"
	"io"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/cimjob/cimjob/fleet"
)

// fleetPrometheus keeps the hosts and writes the run's metric families
// (fleet.NewCollector) at Done in the text exposition format, for
// node_exporter's textfile collector. That collector reads whole files, so
// a cron job writes to a temporary file and renames it into place (the
// README shows how): a reader never sees half a run.
type fleetPrometheus struct {
	cmd     fleetCommand
	w       io.Writer
	results []*fleet.HostResult
}

func newFleetPrometheus(cmd fleetCommand, w io.Writer) fleetWriter {
	return &fleetPrometheus{cmd: cmd, w: w}
}

func (f *fleetPrometheus) Host(r *fleet.HostResult) error {
	f.results = append(f.results, r)
	return nil
}

func (f *fleetPrometheus) Done(fleet.Summary) error {
	// A fresh pedantic registry: it checks what is collected against what
	// is described, and no process-wide metric (Go runtime) gets in.
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(fleet.NewCollector(f.results...)); err != nil {
		return fmt.Errorf("prometheus metrics: %w", err)
	}
	families, err := reg.Gather()
	if err != nil {
		return fmt.Errorf("prometheus metrics: %w", err)
	}
	keep := fleet.Families(f.cmd == cmdCheck, f.cmd == cmdJobs)
	enc := expfmt.NewEncoder(f.w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range families {
		if !slices.Contains(keep, mf.GetName()) {
			continue
		}
		if err := enc.Encode(mf); err != nil {
			return err
		}
	}
	return nil
}
