package main

import "io"

// newFleetJSON and newFleetNDJSON: branch f8-out.
func newFleetJSON(cmd fleetCommand, w io.Writer) fleetWriter   { return notBuilt{} }
func newFleetNDJSON(cmd fleetCommand, w io.Writer) fleetWriter { return notBuilt{} }
