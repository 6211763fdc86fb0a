// Package krb is Kerberos for WinRM: the client side (login from a
// password, a keytab or a credential cache, then a service ticket for
// HTTP/host) and the server side (an acceptor from a keytab), both shaped
// as the gss.Context / gss.Acceptor seam, with RFC 4121 wrap tokens for
// MS-WSMV message encryption over HTTP.
//
// gokrb5 does the Kerberos work (krb5.conf, AS and TGS exchanges, ccache
// and keytab files, AP-REQ verification, the RFC 3961 crypto profiles).
// This package adds what gokrb5 lacks: building and verifying the AP-REP of
// mutual authentication, acceptor subkeys, and sealed (confidential) wrap
// tokens, which gokrb5's gssapi.WrapToken does not do (it only
// checksums).
//
// Two HTTP schemes carry the tokens. "Negotiate" wraps them in SPNEGO
// (RFC 4178) and seals messages as application/HTTP-SPNEGO-session-encrypted;
// "Kerberos" sends the bare GSS-API Kerberos tokens (RFC 4121 4.1) and seals
// as application/HTTP-Kerberos-session-encrypted. The acceptor also takes a
// bare Kerberos token in the Negotiate scheme, as MIT-based clients
// (requests-kerberos) send it.
//
// Message sealing follows what Windows and MIT's gss_wrap_iov produce for
// WinRM: AES etypes, EC = 0, RRC = 16 + checksum length (28 for the SHA-1
// etypes), and the token split after the token header, the rotated trailer
// and the confounder, so that the "signature" of the MS-WSMV framing is 60
// bytes and the sealed data is as long as the message.
package krb
