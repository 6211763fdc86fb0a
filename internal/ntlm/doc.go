// Package ntlm implements the parts of MS-NLMP that WS-Management needs:
// NTLMv2 authentication with extended session security and key exchange,
// for both sides of a connection, and the session security (sealing and
// signing) that MS-WSMV message encryption rides on.
//
// A Client (initiator) produces a NEGOTIATE_MESSAGE, then turns the server's
// CHALLENGE_MESSAGE into an AUTHENTICATE_MESSAGE and a Session. An Acceptor
// (server side) answers a NEGOTIATE_MESSAGE with a CHALLENGE_MESSAGE and
// verifies the AUTHENTICATE_MESSAGE (NTLMv2 response, MIC, channel bindings)
// against a password lookup, yielding a Session and the authenticated
// Identity.
//
// State is per connection. NTLM over HTTP authenticates a TCP connection, not
// a request: a Client or Acceptor carries one handshake, and the Session it
// yields holds one RC4 stream and one sequence number per direction. Every
// message sealed on a connection must be unsealed by the peer in the order it
// was sealed, so a Session must never be shared between connections, and a
// lost connection means a new handshake and a new Session. A Session is safe
// for concurrent use only in the sense that its state is locked; callers must
// still serialise messages per direction to keep the order.
//
// A Client never signs a security parameter the server chose: of the
// server's TargetInfo it keeps the names and the timestamp and adds its own
// channel bindings and target name, so that a host reached over plain HTTP
// cannot relay the login to another. It refuses a challenge without
// timestamp (so without a MIC over the exchange) unless told the server is
// that old, and an Acceptor requires the MIC its timestamp calls for.
//
// Only NTLMv2 is implemented. NTLMv1, LM and sessions without extended
// session security are refused with typed errors rather than negotiated,
// because Windows hosts configured by default never need them.
package ntlm
