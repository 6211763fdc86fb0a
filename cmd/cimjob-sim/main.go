// Command cimjob-sim runs the WS-Management simulator standalone: a
// simulated Windows Hyper-V host whose jobs failed (or misbehave) in known
// ways, for trying cimjob without a Windows host.
//
//	cimjob-sim [--listen 127.0.0.1:5985] [--scenario default.json] [--fixtures DIR]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/cimjob/cimjob/simulator"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "cimjob-sim:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("cimjob-sim", flag.ContinueOnError)
	fl.SetOutput(stderr)
	listen := fl.String("listen", "127.0.0.1:5985", "address to listen on")
	scenario := fl.String("scenario", "default.json", "scenario file in the fixtures' scenarios/ directory")
	dir := fl.String("fixtures", "", "fixtures directory (holding responses/ and scenarios/); default: the built-in fixtures")
	verbose := fl.Bool("v", false, "log every request to stderr")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fl.Args())
	}
	opt := simulator.Options{Scenario: *scenario}
	if *dir != "" {
		opt.FS = os.DirFS(*dir)
	}
	if *verbose {
		opt.Logf = log.New(stderr, "", log.LstdFlags).Printf
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, opt, *listen, *dir, stdout, nil)
}

// serve starts the simulator, prints how to reach it and serves until ctx
// ends. ready, if not nil, receives the URL once the banner is out.
func serve(ctx context.Context, opt simulator.Options, listen, dir string, out io.Writer, ready chan<- string) error {
	s, err := simulator.New(opt)
	if err != nil {
		return err
	}
	url, err := s.Start(listen)
	if err != nil {
		return err
	}
	defer s.Close()
	printBanner(out, s, url, opt.Scenario, dir)
	if ready != nil {
		ready <- url
	}
	<-ctx.Done()
	fmt.Fprintln(out, "cimjob-sim: shutting down")
	return s.Close()
}

func printBanner(out io.Writer, s *simulator.Server, url, scenario, dir string) {
	sc := s.Scenario()
	src := "built-in fixtures"
	if dir != "" {
		src = dir
	}
	fmt.Fprintf(out, "cimjob-sim: simulating %s (%s, scenario %s)\n", sc.Host, src, scenario)
	fmt.Fprintf(out, "  %s\n", sc.Description)
	fmt.Fprintf(out, "URL:   %s\n", url)
	for _, u := range sortedUsers(sc.Users) {
		fmt.Fprintf(out, "User:  %s (Basic; its password is in scenarios/%s)\n", u, scenario)
	}
	fmt.Fprintf(out, "Jobs:\n")
	for _, j := range s.Jobs() {
		fmt.Fprintf(out, "  %-6s %s  %s\n", j.Profile, j.InstanceID, j.Title)
	}
	fmt.Fprintf(out, "Point cimjob at %s with Basic authentication; this is plain HTTP, so cimjob must be allowed to send unencrypted.\n", url)
	fmt.Fprintf(out, "Stop with Ctrl-C.\n")
}

func sortedUsers(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for u := range m {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}
