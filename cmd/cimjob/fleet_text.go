package main

import "io"

// newFleetText: branch f8-cli.
func newFleetText(cmd fleetCommand, w io.Writer, style fleetStyle) fleetWriter { return notBuilt{} }
