// Package simulator is a WS-Management server that answers like a Windows
// host running Hyper-V (root/virtualization/v2) and the Shielded VM
// provisioning service (root/MSPS), from the replies in package fixtures.
//
// It is an independent implementation of the server side: it parses
// requests itself (by namespace URI and local name), checks them the way
// WinRM does and answers with Windows' own faults, so that the cimjob
// client can be tested, and demonstrated, without a Windows host. A scenario
// (fixtures/scenarios/*.json) names the host, its users, its jobs and the
// fixture each call returns; jobs can be told to misbehave (hang, truncate,
// stream a huge body, send an entity bomb, drop the connection, ...).
//
// It authenticates as the scenario's host is configured: Negotiate (NTLMv2,
// one handshake per TCP connection, then every message on HTTP sealed with
// that connection's context in the MS-WSMV multipart/encrypted framing),
// Basic, and client certificates mapped by UPN over HTTPS; Kerberos plugs
// in through Options.NewAcceptor. AllowUnencrypted=false refuses plain
// messages on HTTP (HTTP 500) and Basic on HTTP (401), as Windows does.
// Stats count connections, handshakes and sealed messages, per connection
// too, so that clients can show one handshake per connection.
//
// It lists jobs with WS-Enumeration as WinRM does: Enumerate on a class
// URI, or on a namespace's * URI with a WQL filter (a parser and evaluator
// of the subset Windows accepts for data queries: comparisons, AND, OR,
// NOT, LIKE, IS [NOT] NULL); OptimizeEnumeration and MaxElements; Pull
// and Release; batches bounded by MaxEnvelopeSize; contexts that expire
// (Options.EnumerationTimeout) and are bounded per host
// (Options.MaxEnumerations); subclass instances under their own names; and
// Windows' faults for misuse. A scenario's "generate" section, or
// Options.Jobs, gives a host many generated jobs of every profile in every
// JobState, made on demand from a seed. NewFleet serves many such hosts
// from one process (a port or a loopback address each), with injected
// latency, jitter, hangs, drops, refused passwords and failure rates.
//
// Use New and Start (HTTP) or StartTLS (HTTPS, with a certificate made at
// start whose CA CertPEM returns) for a loopback server, or mount the
// Server (an http.Handler) anywhere, installing ConnContext for
// per-connection authentication. The cimjob-sim command runs one
// standalone, or a fleet (--hosts).
package simulator
