// Package wsman is a WS-Management (DSP0226, MS-WSMV) client for the calls
// cimjob makes to Windows WinRM: Identify, Get, Invoke and Enumerate/Pull.
//
// # A client
//
// NewClient takes a Config, where each setting is given once: the service
// URL (also sent as wsa:To), the authentication, TLS, the reply cap and
// parse bounds (Config.Limits), retries, timeouts, proxy, debug output and
// user agent. A zero field takes the default the cimjob CLI uses. Close the
// Client when done: NTLM and Kerberos keep authenticated connections.
//
//	c, err := wsman.NewClient(wsman.Config{
//		URL:  "http://hv01.corp.example:5985/wsman",
//		Auth: wsman.NTLMAuth{Username: `CORP\ops`, Password: password},
//	})
//	if err != nil { ... }
//	defer c.Close()
//	job, err := c.Get(ctx, resourceURI, wsman.Selector{Name: "InstanceID", Value: id})
//
// The authentication picks the transport:
//
//   - NTLMAuth: a SessionTransport. Over http:// (5985, Windows' default
//     listener) one NTLM handshake per connection, then every message
//     sealed (MS-WSMV message encryption); over https:// (5986) the
//     handshake carries the certificate's channel bindings and TLS
//     protects the messages.
//   - KerberosAuth: a SessionTransport too, with SPNEGO Kerberos (mutual
//     authentication; credentials from a password, a keytab or a cache);
//     sealed over http:// with RFC 4121 wrap tokens.
//   - BasicAuth: an HTTPTransport; over http:// only with AllowUnencrypted.
//   - CertificateAuth: an HTTPTransport presenting a TLS client certificate
//     (https:// only), which WinRM maps to an account.
//
// # The seam
//
// The Client owns SOAP; a Transport owns HTTP, authentication, sealing and
// retries, and has two methods: RoundTrip, which carries one envelope and
// returns the Reply (body and HTTP status), and Close. NewTransport builds
// the one a Config describes; Config.Transport plugs in another (a test
// double, a recorder, an in-process service).
//
// # Errors
//
// Envelopes are built with etree and always escaped; replies are parsed by
// namespace URI and local name, never by prefix. A SOAP fault, whatever the
// HTTP status that carried it, is returned as a *Fault, and errors.Is tells
// its kind: ErrNotFound (the instance is not there, in either shape Windows
// uses), ErrMethodNotFound, ErrAccessDenied, ErrTimedOut,
// ErrInvalidEnumerationContext. HTTP 401 is an *AuthError; anything else
// that keeps an answer from arriving a *TransportError, *HTTPError or
// *ResponseError (a reply over the cap wraps cim.ErrTooLarge, one with a
// DTD cim.ErrDTD). Every body read is capped and every call has a deadline.
//
// # Retries
//
// A request that cannot have reached the service (the connection failed
// before it was written) is retried, up to Config.Retries times with
// backoff. One that was written goes again only when it is idempotent
// (Request.Idempotent: NewIdentify, NewGet, NewEnumerate and NewPull set
// it, NewInvoke does not) and the service answered 503 or 429 or no reply
// came; otherwise the failure is a *MayHaveRunError, as the request may
// have run. Faults and 401 are never retried.
package wsman
