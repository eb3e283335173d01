"""The Synapse side of a pair: a real Synapse 1.163 (from PyPI, in the running venv) started by
tests/interop/synapse_server.py, with certificate verification against the pair's CA and the
limits of a test suite.

Differences from the configuration scripts/federation_interop.sh uses: peers' certificates are
verified (against tls.py's CA), presence is off (less federation traffic, nothing here needs it),
room-related rate limits are raised, a transaction to an unreachable server is given up quickly
(FEDERATION_CONFIG), and device display names are shared over federation unless
`share_device_names=False` (Synapse's default, `allow_device_name_lookup_over_federation: false`).
"""

import os

from deviations import KEYS_QUERY_RESYNC_RACE, LEAVER_MISSES_LEFT_WHEN_SERVER_LEAVES
from homeserver import Homeserver
from synapse_server import SynapseServer
from tls import TlsMaterial

UNLIMITED = "{per_second: 1000, burst_count: 1000}"


# A transaction to a stopped server gives up after about 2 s instead of retrying for minutes
# (defaults: 10 retries, up to 60 s apart), so the restart scenario's outage makes Synapse mark the
# destination down and later catch it up the way it does after a real outage: with only the newest
# event of the room, the receiving server fetching the gap. Without this, a few seconds' outage is
# bridged by one long-retried request and catch-up is never exercised.
FEDERATION_CONFIG = ["  max_long_retries: 1", "  max_long_retry_delay: 1s"]


def _extra_config(share_device_names: bool) -> list[str]:
    return [
        "presence: {enabled: false}",
        f"allow_device_name_lookup_over_federation: {'true' if share_device_names else 'false'}",
        f"rc_joins: {{local: {UNLIMITED}, remote: {UNLIMITED}}}",
        f"rc_joins_per_room: {UNLIMITED}",
        f"rc_invites: {{per_room: {UNLIMITED}, per_user: {UNLIMITED}, per_issuer: {UNLIMITED}}}",
        f"rc_room_creation: {UNLIMITED}",
        f"rc_delayed_event_mgmt: {UNLIMITED}",
    ]


class SynapseHomeserver(Homeserver):
    software = "synapse"
    deviations = frozenset({LEAVER_MISSES_LEFT_WHEN_SERVER_LEAVES, KEYS_QUERY_RESYNC_RACE})

    def __init__(self, label: str, workdir: str, tls: TlsMaterial, share_device_names: bool = True):
        self.label = label
        self.workdir = workdir
        self._share_device_names = share_device_names
        self._server = SynapseServer(workdir, tls.cert_path, tls.key_path, ca_path=tls.ca_path,
                                     extra_config=_extra_config(share_device_names),
                                     federation_config=FEDERATION_CONFIG)
        self.server_name = self._server.server_name
        self.client_url = self._server.url
        self.registration_shared_secret = self._server.registration_shared_secret

    @property
    def shares_device_names_over_federation(self) -> bool:
        return self._share_device_names

    def start(self) -> None:
        self._server.start(timeout=90)

    def stop(self) -> None:
        self._server.stop()

    def is_running(self) -> bool:
        process = self._server.process
        return process is not None and process.poll() is None

    def log_tail(self, chars: int = 6000) -> str:
        return self._server.log_tail(chars)

    @property
    def log_path(self) -> str:
        return os.path.join(self.workdir, "homeserver.log")
