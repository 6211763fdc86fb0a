"""Enumerate with a WQL filter through the simulator with pywinrm.

Usage: enumerate.py ENDPOINT USER PASSWORD RESOURCE_URI FILTER MAX_ELEMENTS
Sends Enumerate (OptimizeEnumeration, MaxElements, the WQL filter) and Pulls
until EndOfSequence, NTLM-sealed over HTTP (message_encryption='always') on
one pywinrm Protocol. The envelopes are written here from DSP0226 and
WS-Enumeration, and the replies read with ElementTree by namespace, so
nothing of the Go code is involved. Prints JSON:
{"ids": [InstanceID...], "classes": [element name...], "requests": n}.
"""
import json
import sys
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from winrm.protocol import Protocol

S = "http://www.w3.org/2003/05/soap-envelope"
A = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
W = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
N = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
WQL = "http://schemas.microsoft.com/wbem/wsman/1/WQL"


def envelope(endpoint, resource, action, body):
    return ("<s:Envelope xmlns:s='%s' xmlns:a='%s' xmlns:w='%s' xmlns:n='%s'><s:Header>"
            "<a:To>%s</a:To><w:ResourceURI s:mustUnderstand='true'>%s</w:ResourceURI>"
            "<a:ReplyTo><a:Address s:mustUnderstand='true'>%s/role/anonymous</a:Address></a:ReplyTo>"
            "<a:Action s:mustUnderstand='true'>%s/%s</a:Action><a:MessageID>uuid:%s</a:MessageID>"
            "<w:MaxEnvelopeSize s:mustUnderstand='true'>153600</w:MaxEnvelopeSize>"
            "<w:OperationTimeout>PT20S</w:OperationTimeout></s:Header><s:Body>%s</s:Body></s:Envelope>"
            % (S, A, W, N, escape(endpoint), escape(resource), A, N, action, str(uuid.uuid4()).upper(), body)).encode()


def main():
    endpoint, user, password, resource, wql, max_el = sys.argv[1:7]
    p = Protocol(endpoint, transport="ntlm", username=user, password=password, message_encryption="always")
    body = ("<n:Enumerate><w:Filter Dialect='%s'>%s</w:Filter><w:OptimizeEnumeration/>"
            "<w:MaxElements>%s</w:MaxElements></n:Enumerate>" % (WQL, escape(wql), max_el))
    reply = ET.fromstring(p.send_message(envelope(endpoint, resource, "Enumerate", body)))
    resp = reply.find("{%s}Body/{%s}EnumerateResponse" % (S, N))
    ids, classes, requests = [], [], 1
    items_ns, end_ns = W, W
    while True:
        for items in resp.findall("{%s}Items" % items_ns):
            for item in items:
                classes.append(item.tag.split("}")[1])
                ids.append(item.find("{%s}InstanceID" % item.tag.split("}")[0][1:]).text)
        if resp.find("{%s}EndOfSequence" % end_ns) is not None:
            break
        ctx = resp.findtext("{%s}EnumerationContext" % N)
        body = ("<n:Pull><n:EnumerationContext>%s</n:EnumerationContext><n:MaxElements>%s</n:MaxElements></n:Pull>"
                % (escape(ctx), max_el))
        reply = ET.fromstring(p.send_message(envelope(endpoint, resource, "Pull", body)))
        resp = reply.find("{%s}Body/{%s}PullResponse" % (S, N))
        items_ns, end_ns = N, N
        requests += 1
    json.dump({"ids": ids, "classes": classes, "requests": requests}, sys.stdout)


main()
