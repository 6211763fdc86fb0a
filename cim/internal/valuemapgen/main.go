// Command valuemapgen writes cim/valuemaps_gen.go, the value maps of the
// CIM_Error and job classes, from the schema data in its schema directory
// (cim_error.json, cim_concretejob.json, msvm_concretejob.json,
// msps_provisioningjob.json; schema/README.md names their sources). Run it
// through go generate in package cim.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	ref := flag.String("ref", "internal/valuemapgen/schema", "directory holding the schema JSON files (default: as seen from package cim)")
	out := flag.String("out", "valuemaps_gen.go", "file to write")
	flag.Parse()
	src, err := generate(*ref)
	if err != nil {
		fmt.Fprintln(os.Stderr, "valuemapgen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "valuemapgen:", err)
		os.Exit(1)
	}
}
