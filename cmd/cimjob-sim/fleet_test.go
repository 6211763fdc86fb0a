package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cimjob/cimjob/simulator"
)

// --hosts serves a fleet, writes one URL a line to --hosts-file-out, and
// every host answers.
func TestServeFleet(t *testing.T) {
	hostsFile := filepath.Join(t.TempDir(), "hosts.txt")
	out := &syncBuffer{}
	errc := make(chan error, 1)
	ready := make(chan string, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ff := &fleetFlags{hosts: 3, jobs: 12, hostsFileOut: hostsFile, latency: 1}
	go func() { errc <- serveFleet(ctx, ff, "", "fleet.json", simulator.Options{}, false, out, ready) }()
	select {
	case path := <-ready:
		if path != hostsFile {
			t.Errorf("hosts file %s", path)
		}
	case err := <-errc:
		t.Fatal(err)
	}
	data, err := os.ReadFile(hostsFile)
	if err != nil {
		t.Fatal(err)
	}
	urls := strings.Fields(string(data))
	if len(urls) != 3 {
		t.Fatalf("hosts file: %q", data)
	}
	answered := 0
	for _, u := range urls {
		req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>`))
		req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
		req.Header.Set("WSMANIDENTIFY", "unauthenticated")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 200 {
			answered++
		}
	}
	if answered != 3 {
		t.Errorf("%d of 3 hosts answered Identify", answered)
	}
	for _, want := range []string{"simulating 3 hosts", "12 jobs each", hostsFile, "normal 3"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, out.String())
		}
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestServeFleetRefusesTLS(t *testing.T) {
	err := run([]string{"--hosts", "2", "--tls"}, &syncBuffer{}, &syncBuffer{})
	if err == nil || !strings.Contains(err.Error(), "--tls") {
		t.Errorf("err %v", err)
	}
}
