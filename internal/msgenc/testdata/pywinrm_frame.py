"""Frame and unframe with pywinrm's own Encryption class and a stand-in
security context (sealed = data XOR 0x5a, signature = SHA-256(data)[:16]),
so the Go framing can be compared with pywinrm's byte for byte.

Usage: pywinrm_frame.py encode HEX_PLAIN   -> hex of the request body
       pywinrm_frame.py decode HEX_BODY    -> hex of the unsealed message
"""
import hashlib
import sys
from types import SimpleNamespace

from winrm.encryption import Encryption


def xor(b):
    return bytes(c ^ 0x5a for c in b)


def wrap(data):
    return xor(data), hashlib.sha256(data).digest()[:16]


def unwrap(sealed, sig):
    data = xor(sealed)
    if hashlib.sha256(data).digest()[:16] != sig:
        raise ValueError("bad signature")
    return data


security = SimpleNamespace(wrap=wrap, unwrap=unwrap)
session = SimpleNamespace(auth=SimpleNamespace(session_security=security))
enc = Encryption(session, "ntlm")

mode, arg = sys.argv[1], bytes.fromhex(sys.argv[2])
if mode == "encode":
    body = enc._encrypt_message(arg, "localhost") + enc.MIME_BOUNDARY + b"--\r\n"
    print(body.hex())
else:
    response = SimpleNamespace(
        headers={"Content-Type": 'multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"'},
        content=arg,
        request=SimpleNamespace(url="http://localhost:5985/wsman"))
    print(enc.parse_encrypted_response(response).hex())
