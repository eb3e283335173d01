"""One client scenario run against a fresh Keyport and a fresh Synapse in turn, its observations
compared: every item must be the same on both and hold. Items Synapse gets wrong by the spec are
checked on Keyport alone (the scenario returns them under `spec_only`) and reported for Synapse.

Synapse runs in another venv's Python (the client libraries' venv need not hold Synapse)."""

import asyncio
import json
import os
import sys
import tempfile
import traceback
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))

from keyport_server import KeyportServer  # noqa: E402
from synapse_server import SynapseServer, make_certificate  # noqa: E402

PASSWORD = "correct horse battery staple"


class ExternalSynapse(SynapseServer):
    """Synapse run by another venv's Python."""

    def __init__(self, python: str, workdir: str, cert: str, key: str):
        self.python = python
        super().__init__(workdir, cert, key)

    def _command(self, extra: list[str]) -> list[str]:
        return [self.python, "-m", "synapse.app.homeserver", "-c", self.config_path, *extra]


def call(base: str, method: str, path: str, token: str | None = None, body: dict | None = None) -> dict:
    request = urllib.request.Request(base + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.loads(reply.read())


def register(base: str, name: str) -> dict:
    body = {"username": name, "password": PASSWORD, "auth": {"type": "m.login.dummy"}}
    try:
        return call(base, "POST", "/_matrix/client/v3/register", body=body)
    except urllib.error.HTTPError as error:  # a server that wants a UIA session first
        body["auth"]["session"] = json.loads(error.read()).get("session")
        return call(base, "POST", "/_matrix/client/v3/register", body=body)


def login(base: str, user_id: str) -> dict:
    return call(base, "POST", "/_matrix/client/v3/login", body={
        "type": "m.login.password", "identifier": {"type": "m.id.user", "user": user_id}, "password": PASSWORD})


async def compare(title: str, scenario, keyport: str, synapse_python: str) -> int:
    """Runs `scenario(base_url)` (a coroutine returning {item: observation}, optionally with
    `spec_only`: {item: (observation, expected)}) on both servers; prints and counts the verdicts."""
    root = tempfile.mkdtemp(prefix="keyport-side-by-side-")
    observed = {}
    server = KeyportServer(keyport, os.path.join(root, "keyport"))
    server.start()
    try:
        observed["Keyport"] = await scenario(server.url)
    finally:
        server.stop()
    cert, key = make_certificate(root)
    synapse = ExternalSynapse(synapse_python, os.path.join(root, "synapse"), cert, key)
    synapse.start()
    try:
        observed["Synapse"] = await scenario(synapse.url)
    finally:
        synapse.stop()
    passed = failed = 0
    for item, (seen, expected) in observed["Keyport"].pop("spec_only", {}).items():
        good = seen == expected
        passed, failed = passed + good, failed + (not good)
        print(f"{'PASS' if good else 'FAIL'} {item} (spec): Keyport {seen!r}, expected {expected!r}")
    for item, (seen, expected) in observed["Synapse"].pop("spec_only", {}).items():
        verdict = "follows" if seen == expected else "differs from"
        print(f"NOTE {item} (spec): Synapse {seen!r}, expected {expected!r} ({verdict} the spec)")
    for item, on_synapse in observed["Synapse"].items():
        on_keyport = observed["Keyport"].get(item)
        good = on_keyport == on_synapse and bool(on_keyport)
        passed, failed = passed + good, failed + (not good)
        print(f"{'PASS' if good else 'FAIL'} {item}: Keyport {on_keyport!r}, Synapse {on_synapse!r}")
    print(f"{title}: {passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


def main(title: str, scenario) -> int:
    """The command line: PATH_TO_KEYPORT PATH_TO_SYNAPSE_PYTHON."""
    try:
        return asyncio.run(asyncio.wait_for(compare(title, scenario, sys.argv[1], sys.argv[2]), timeout=300))
    except Exception:
        traceback.print_exc()
        print(f"{title}: 0 passed, 1 failed")
        return 1
