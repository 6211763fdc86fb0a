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
// Use New and Start for a loopback server, or mount the Server (an
// http.Handler) anywhere. The cimjob-sim command runs one standalone.
package simulator
