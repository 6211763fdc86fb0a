package main

import (
	"bytes"
	"context"
	"os"
	"testing"
)

// THIRD_PARTY_NOTICES must list exactly what the binaries link: a new or
// upgraded dependency fails here until the file is regenerated.
func TestNoticesUpToDate(t *testing.T) {
	t.Chdir("../..")
	want, err := Generate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	have, err := os.ReadFile(Output)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(have, want) {
		t.Fatalf("%s is out of date: run go run ./scripts/notices", Output)
	}
	for _, must := range []string{"Go standard library", "github.com/spf13/cobra", "golang.org/x/crypto", "Licence: MPL-2.0"} {
		if !bytes.Contains(have, []byte(must)) {
			t.Errorf("%s lacks %q", Output, must)
		}
	}
}

func TestIdentify(t *testing.T) {
	tests := []struct{ text, want string }{
		{"Apache License\n Version 2.0, January 2004", "Apache-2.0"},
		{"Mozilla Public License, version 2.0\n1. Definitions", "MPL-2.0"},
		{"Redistributions in binary form must reproduce ... Neither the name of Google Inc. nor the names of its\ncontributors ... THIS SOFTWARE IS PROVIDED", "BSD-3-Clause"},
		{"Redistributions in binary form must reproduce the above\n THIS SOFTWARE IS PROVIDED BY", "BSD-2-Clause"},
		{"Permission is hereby granted, free of charge, to any person", "MIT"},
		{"Permission to use, copy, modify, and/or distribute this software for any purpose", "ISC"},
		{"GNU GENERAL PUBLIC LICENSE Version 3", ""},
		{"All rights reserved.", ""},
	}
	for _, tt := range tests {
		if got := identify(tt.text); got != tt.want {
			t.Errorf("identify(%.40q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}
