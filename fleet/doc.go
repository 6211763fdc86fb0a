// Package fleet asks many WS-Management hosts about their jobs at once:
// which jobs they have (Jobs), which failed and why (Check), and whether
// they answer at all (Identify). Run drives one Probe per host, a bounded
// number at a time, each host with its own client (one authenticated
// connection reused for all its calls) and its own deadline, and hands
// every HostResult to the caller as soon as that host is done, so that
// one slow or broken host never holds up the others.
package fleet
