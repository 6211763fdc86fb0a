"""MIT's GSS-API (python3-gssapi over libgssapi-krb5) on one side of a
Kerberos context, the Go package on the other.

initiator MECH ENDPOINT ENVELOPE COUNT
    pywinrm (Protocol, transport 'kerberos', message_encryption 'always')
    with its requests auth replaced by one built on MIT's GSS-API, wrapping
    each message as pyspnego's wrap_winrm does: gss_wrap_iov with header,
    data and padding buffers. Prints a JSON list of the decoded replies.
    Needs pywinrm and requests-kerberos too: pywinrm refuses transport
    'kerberos' without it, though the auth class is replaced here.
acceptor MECH
    Line protocol on stdin/stdout (hex): the initiator's token in, the reply
    token out ("-" for none), then the client principal; afterwards each
    "unseal SIG DATA" prints the message, each "seal DATA" prints "SIG DATA".
    Needs gssapi alone.

MECH is "spnego" or "krb5". Uses KRB5_CONFIG, KRB5CCNAME and KRB5_KTNAME.
"""
import base64
import json
import sys

import gssapi
import gssapi.raw as graw

MECHS = {
    "spnego": gssapi.OID.from_int_seq("1.3.6.1.5.5.2"),
    "krb5": gssapi.OID.from_int_seq("1.2.840.113554.1.2.2"),
}


def wrap_winrm(ctx, data):
    iov = graw.IOV(graw.IOVBufferType.header, data, graw.IOVBufferType.padding, std_layout=False)
    graw.wrap_iov(ctx, iov, confidential=True)
    return iov[0].value, iov[1].value + (iov[2].value or b"")


def unwrap_winrm(ctx, header, data):
    return graw.unwrap(ctx, header + data).message


def initiator(mech, endpoint, path, count):
    # requests and pywinrm only here: the acceptor needs gssapi alone.
    from requests.auth import AuthBase
    import winrm.transport
    from urllib.parse import urlsplit
    host = urlsplit(endpoint).hostname

    class GssAuth(AuthBase):
        """Negotiate over one keep-alive connection, as requests-kerberos does it,
        but on MIT's GSS-API so that the context can seal."""

        winrm_encryption_available = True

        def __init__(self, mech, host):
            name = gssapi.Name("HTTP@" + host, gssapi.NameType.hostbased_service)
            flags = [gssapi.RequirementFlag.mutual_authentication, gssapi.RequirementFlag.integrity,
                     gssapi.RequirementFlag.confidentiality, gssapi.RequirementFlag.out_of_sequence_detection,
                     gssapi.RequirementFlag.replay_detection]
            self.ctx = gssapi.SecurityContext(name=name, mech=MECHS[mech], flags=flags, usage="initiate")
            self.sent = False

        def __call__(self, r):
            if not self.sent:
                self.sent = True
                r.headers["Authorization"] = "Negotiate " + base64.b64encode(self.ctx.step()).decode()
                r.register_hook("response", self.handle)
            return r

        def handle(self, resp, **kwargs):
            value = resp.headers.get("WWW-Authenticate", "")
            if resp.status_code == 401:
                return resp
            if not value.startswith("Negotiate "):
                raise RuntimeError("no mutual authentication token in the response")
            self.ctx.step(base64.b64decode(value.split(" ", 1)[1]))
            if not self.ctx.complete:
                raise RuntimeError("context not complete after the server's token")
            return resp

        def wrap_winrm(self, host, message):
            header, sealed = wrap_winrm(self.ctx, message)
            return sealed, header

        def unwrap_winrm(self, host, message, header):
            return unwrap_winrm(self.ctx, header, message)

    class Auth(GssAuth):
        # pywinrm checks the constructor's arguments against requests-kerberos'.
        def __init__(self, mutual_authentication=None, service="HTTP", delegate=False,
                     force_preemptive=False, principal=None, hostname_override=None,
                     sanitize_mutual_error_response=True, send_cbt=True):
            GssAuth.__init__(self, mech, host)

    winrm.transport.HTTPKerberosAuth = Auth
    from winrm.protocol import Protocol
    with open(path, "rb") as f:
        envelope = f.read()
    p = Protocol(endpoint, transport="kerberos", username=None, password=None,
                 message_encryption="always")
    replies = [p.send_message(envelope).decode("utf-8") for _ in range(int(count))]
    json.dump(replies, sys.stdout)


def acceptor(mech):
    creds = gssapi.Credentials(usage="accept", mechs=[MECHS[mech]])
    ctx = gssapi.SecurityContext(creds=creds, usage="accept")
    out = ctx.step(bytes.fromhex(sys.stdin.readline().strip()))
    print(out.hex() if out else "-")
    print(str(ctx.initiator_name))
    sys.stdout.flush()
    if not ctx.complete:
        sys.exit("context not complete")
    for line in sys.stdin:
        words = line.split()
        if words[0] == "unseal":
            print(unwrap_winrm(ctx, bytes.fromhex(words[1]), bytes.fromhex(words[2])).hex())
        elif words[0] == "seal":
            header, sealed = wrap_winrm(ctx, bytes.fromhex(words[1]))
            print(header.hex(), sealed.hex())
        sys.stdout.flush()


if sys.argv[1] == "initiator":
    initiator(*sys.argv[2:6])
else:
    acceptor(sys.argv[2])
