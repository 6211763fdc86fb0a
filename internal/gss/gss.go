// Package gss is the seam between WS-Management's HTTP framing and the
// security mechanisms that authenticate a connection and seal its messages
// (NTLM, Kerberos). The client transport and the simulator drive a Context
// the same way whatever the mechanism: exchange tokens in
// Authorization / WWW-Authenticate headers until the context is
// established, then seal and unseal every message on that connection with
// the MS-WSMV 2.2.9.1 framing (package msgenc).
//
// A Context belongs to one TCP connection: its sequence numbers and cipher
// state follow the order of messages on that connection, so it must never
// be shared between connections or used by two requests at once.
package gss

import "github.com/cimjob/cimjob/internal/msgenc"

// Context is one side of one security context.
type Context interface {
	// Step consumes the peer's token (nil for the initiator's first call)
	// and returns the token to send, if any. done is true once the context
	// is established; a final token may still have to be sent with it.
	Step(in []byte) (out []byte, done bool, err error)
	// Seal and Unseal protect messages once the context is established.
	msgenc.Sealer
	msgenc.Unsealer
	// Protocol is the msgenc protocol string for sealed messages
	// (msgenc.ProtocolSPNEGO for the Negotiate scheme, msgenc.ProtocolKerberos
	// for the Kerberos scheme).
	Protocol() string
	// Scheme is the HTTP authentication scheme the tokens travel in
	// ("Negotiate" or "Kerberos").
	Scheme() string
}

// Acceptor is a server-side Context that can also say whom it
// authenticated.
type Acceptor interface {
	Context
	// User is the authenticated principal, once the context is established
	// ("DOMAIN\user", "user@REALM").
	User() string
}
