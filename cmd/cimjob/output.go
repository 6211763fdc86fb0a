package main

import (
	"fmt"

	"github.com/spf13/pflag"
)

// outputFormat is the -o flag of error and demo. It is checked once, when
// the flag is parsed, so a command only ever sees text or json.
type outputFormat string

const (
	outputText outputFormat = "text"
	outputJSON outputFormat = "json"
)

// outputFormats are the values Set accepts, which completion offers.
var outputFormats = [...]outputFormat{outputText, outputJSON}

func (o *outputFormat) String() string { return string(*o) }
func (o *outputFormat) Type() string   { return "format" }

func (o *outputFormat) Set(s string) error {
	for _, f := range outputFormats {
		if s == string(f) {
			*o = f
			return nil
		}
	}
	return fmt.Errorf("unknown output format %q (want text or json)", s)
}

// registerOutput adds -o/--output to fs, text by default.
func registerOutput(fs *pflag.FlagSet, o *outputFormat, what string) {
	*o = outputText
	fs.VarP(o, "output", "o", what+": text or json")
}
