// Package wsman is a WS-Management (DSP0226, MS-WSMV) client for the calls
// cimjob makes to Windows WinRM: Identify, Get, Invoke and Enumerate/Pull.
//
// Envelopes are built with etree and always escaped; responses are parsed
// by namespace URI and local name, never by prefix. A SOAP fault, whatever
// the HTTP status that carried it, is returned as a *Fault; HTTP 401 as an
// *AuthError; anything else that keeps an answer from arriving as a
// *TransportError, *HTTPError or *ResponseError. Every body read is capped
// and every call has a deadline.
//
// NewTransport builds the transport an authentication mode needs:
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
package wsman
