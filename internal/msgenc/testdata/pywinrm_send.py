"""Drive a WS-Man endpoint with pywinrm: NTLM with message encryption.

Usage: pywinrm_send.py ENDPOINT USER PASSWORD ENVELOPE_FILE COUNT
Sends the envelope COUNT times on one winrm.protocol.Protocol (one
requests session, so one keep-alive connection) and prints a JSON list of
the decoded replies. Exits 3 when the server rejects the credentials.
"""
import json
import sys

import winrm.exceptions
from winrm.protocol import Protocol


def main():
    endpoint, user, password, path, count = sys.argv[1:6]
    with open(path, "rb") as f:
        envelope = f.read()
    p = Protocol(endpoint, transport="ntlm", username=user, password=password,
                 message_encryption="always")
    replies = []
    try:
        for _ in range(int(count)):
            reply = p.send_message(envelope)
            replies.append(reply.decode("utf-8"))
    except winrm.exceptions.InvalidCredentialsError as e:
        print("InvalidCredentialsError: %s" % e, file=sys.stderr)
        sys.exit(3)
    json.dump(replies, sys.stdout)


main()
