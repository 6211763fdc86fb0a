"""Send a WS-Man envelope to the simulator with pywinrm and report what came back.

Usage: send.py MODE ENDPOINT ENVELOPE_FILE COUNT [key=value ...]
MODE is ntlm (message_encryption='always', for HTTP), ntlm-https, basic or
certificate; keys are user, password, ca (a CA bundle to trust), cert and key
(the client certificate). The envelope is sent COUNT times on one Protocol
(one requests session, so one keep-alive connection). Prints JSON:
{"replies": [...], "messages": [...]} where messages are the Message
properties of the Msvm_Error each GetError_OUTPUT carries, read here with
ElementTree, independently of the Go code. Exits 3 when the server rejects
the credentials and 4 on another HTTP error (the status on stderr).
"""
import json
import sys
import xml.etree.ElementTree as ET

import winrm.exceptions
from winrm.protocol import Protocol

SOAP = "{http://www.w3.org/2003/05/soap-envelope}"
HYPERV = "{http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/Msvm_ConcreteJob}"


def error_message(reply):
    body = ET.fromstring(reply).find(SOAP + "Body")
    error = body.find(HYPERV + "GetError_OUTPUT/" + HYPERV + "Error")
    instance = ET.fromstring(error.text)  # the CIM-XML string, unescaped once by the parser
    for prop in instance.iter("PROPERTY"):
        if prop.get("NAME") == "Message":
            return prop.findtext("VALUE")
    return None


def main():
    mode, endpoint, path, count = sys.argv[1:5]
    opts = dict(a.split("=", 1) for a in sys.argv[5:])
    kwargs = dict(username=opts.get("user"), password=opts.get("password"))
    if "ca" in opts:
        kwargs["ca_trust_path"] = opts["ca"]
    if mode == "ntlm":
        kwargs.update(transport="ntlm", message_encryption="always")
    elif mode == "ntlm-https":
        kwargs.update(transport="ntlm", message_encryption="never", send_cbt=True)
    elif mode == "basic":
        kwargs.update(transport="basic", message_encryption="never")
    elif mode == "certificate":
        kwargs = dict(transport="certificate", cert_pem=opts["cert"], cert_key_pem=opts["key"],
                      ca_trust_path=opts["ca"], message_encryption="never")
    else:
        sys.exit("unknown mode " + mode)
    with open(path, "rb") as f:
        envelope = f.read()
    p = Protocol(endpoint, **kwargs)
    replies, messages = [], []
    try:
        for _ in range(int(count)):
            reply = p.send_message(envelope)
            replies.append(reply.decode("utf-8"))
            messages.append(error_message(reply))
    except winrm.exceptions.InvalidCredentialsError as e:
        print("InvalidCredentialsError: %s" % e, file=sys.stderr)
        sys.exit(3)
    except winrm.exceptions.WinRMTransportError as e:
        print("WinRMTransportError: %s" % e, file=sys.stderr)
        sys.exit(4)
    json.dump({"replies": replies, "messages": messages}, sys.stdout)


main()
