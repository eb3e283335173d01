"""The Keyport side of a pair.

`KeyportHomeserver` starts a real `keyport serve` the way tests/interop/federation_synapse.py does
(tests/interop/federating_keyport.py: an https listener for federation and clients named in the
server name, a plain-http client listener for test clients, SQLite in its work directory),
verifying peers against the pair's CA. Keyport hosts and joins federated rooms, so
`keyport-synapse` and `keyport-keyport` run in CI beside `synapse-synapse`. Registration is
`POST /register` with `m.login.dummy` and `inhibit_login` (homeserver.py); everything else is the
client-server API; an admin (the `deactivated` scenario) is registered with the shared secret
Keyport is configured with, as on Synapse.
"""

import secrets

from federating_keyport import FederatingKeyport
from homeserver import Homeserver
from tls import TlsMaterial

KEYPORT_ROOMS_READY = True  # Keyport hosts and joins federated rooms (issue 11)


class KeyportHomeserver(Homeserver):
    software = "keyport"

    def __init__(self, label: str, workdir: str, tls: TlsMaterial, binary: str):
        self.label = label
        self.workdir = workdir
        self.registration_shared_secret = secrets.token_hex(32)
        self._server = FederatingKeyport(binary, workdir, tls.cert_path, tls.key_path, ca_path=tls.ca_path,
                                         extra_config=[f'registration_shared_secret: "{self.registration_shared_secret}"'])
        self.server_name = self._server.server_name
        self.client_url = self._server.url

    @property
    def shares_device_names_over_federation(self) -> bool:
        return True

    def start(self) -> None:
        self._server.start(timeout=60)

    def stop(self) -> None:
        self._server.stop()

    def is_running(self) -> bool:
        process = self._server.process
        return process is not None and process.poll() is None

    def log_tail(self, chars: int = 6000) -> str:
        return self._server.log_tail(chars)
