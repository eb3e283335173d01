"""TLS material for homeservers federating on loopback: a throwaway certificate authority and one
certificate it issues for `localhost` / 127.0.0.1.

Every server of a pair is named `localhost:<port>` and presents the same certificate; each one
verifies its peers against the CA (`federation_verify_certificates: true` plus
`federation_custom_ca_list`), so federation runs over TLS with real certificate checks, not with
verification turned off.
"""

import os
import subprocess
from dataclasses import dataclass


@dataclass(frozen=True)
class TlsMaterial:
    ca_path: str
    cert_path: str
    key_path: str


def _openssl(*arguments: str) -> None:
    subprocess.run(["openssl", *arguments], check=True, capture_output=True, timeout=60)


def make_tls_material(directory: str) -> TlsMaterial:
    """Writes ca.pem, cert.pem (issued by the CA) and key.pem into `directory`."""
    os.makedirs(directory, exist_ok=True)
    ca_key, ca_cert = os.path.join(directory, "ca-key.pem"), os.path.join(directory, "ca.pem")
    key, request, cert = (os.path.join(directory, name) for name in ("key.pem", "cert.csr", "cert.pem"))
    extensions = os.path.join(directory, "cert.ext")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca_cert, "-days", "2",
             "-subj", "/CN=federated-rooms test CA", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", request, "-subj", "/CN=localhost")
    with open(extensions, "w") as handle:
        handle.write("basicConstraints=CA:FALSE\n"
                     "keyUsage=critical,digitalSignature,keyEncipherment\n"
                     "extendedKeyUsage=serverAuth,clientAuth\n"
                     "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    _openssl("x509", "-req", "-in", request, "-CA", ca_cert, "-CAkey", ca_key, "-CAcreateserial", "-out", cert,
             "-days", "2", "-extfile", extensions)
    return TlsMaterial(ca_path=ca_cert, cert_path=cert, key_path=key)
