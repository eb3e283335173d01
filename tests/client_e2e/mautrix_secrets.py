#!/usr/bin/env python3
"""Secret storage with a real client, on Keyport and on Synapse side by side (issue 14).

mautrix-python (OlmMachine, python-olm) bootstraps cross-signing and secret storage on device S1 of
a fresh user: a recovery key, the SSSS key description and default key in account data, the three
cross-signing private keys encrypted there, the public keys uploaded, S1 signed. A second mautrix
device S2 of the same user, logged in afresh, recovers the cross-signing keys from secret storage
with the recovery key alone and signs itself. What a third party then sees through /keys/query and
what the account data holds is summed up per server; both servers must give the same summary, and
every item must hold.

Usage: mautrix_secrets.py PATH_TO_KEYPORT PATH_TO_SYNAPSE_PYTHON
"""

import os
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))

from mautrix_device import close, device, signed_by  # noqa: E402
from side_by_side import call, login, main, register  # noqa: E402


async def scenario(base: str) -> dict:
    """Runs the bootstrap and the recovery on one server; returns what was observed."""
    first = register(base, "sam")
    user_id = first["user_id"]
    s1, machine1 = await device(base, first)
    s2 = None
    try:
        recovery_key = await machine1.generate_recovery_key()
        second = login(base, user_id)
        s2, machine2 = await device(base, second)
        await machine2.verify_with_recovery_key(recovery_key)

        token = first["access_token"]
        quoted = urllib.parse.quote(user_id)

        def account_data(kind: str) -> dict:
            # Key IDs are random base64: '+' and '/' must be escaped in the path.
            escaped = urllib.parse.quote(kind, safe="")
            return call(base, "GET", f"/_matrix/client/v3/user/{quoted}/account_data/{escaped}", token)

        default_key = account_data("m.secret_storage.default_key").get("key")
        description = account_data(f"m.secret_storage.key.{default_key}")
        secrets = {kind: account_data(kind).get("encrypted", {})
                   for kind in ("m.cross_signing.master", "m.cross_signing.self_signing",
                                "m.cross_signing.user_signing")}
        observer = register(base, "olive")
        answer = call(base, "POST", "/_matrix/client/v3/keys/query", observer["access_token"],
                      {"device_keys": {user_id: []}})
        master = answer.get("master_keys", {}).get(user_id, {})
        self_signing = answer.get("self_signing_keys", {}).get(user_id, {})
        master_public = next(iter(master.get("keys", {}).values()), "")
        ssk_public = next(iter(self_signing.get("keys", {}).values()), "")
        devices = answer.get("device_keys", {}).get(user_id, {})
        return {
            "default key set": bool(default_key),
            "key description algorithm": description.get("algorithm"),
            "each cross-signing secret encrypted with the default key":
                all(default_key in encrypted for encrypted in secrets.values()),
            "master key published": bool(master_public),
            "self-signing key signed by the master key": signed_by(self_signing, user_id, master_public),
            "S1 signed by the self-signing key": signed_by(devices.get(first["device_id"], {}), user_id, ssk_public),
            "S2 signed by the self-signing key after recovery":
                signed_by(devices.get(second["device_id"], {}), user_id, ssk_public),
        }
    finally:
        await close(s1, s2)


if __name__ == "__main__":
    sys.exit(main("secret storage with mautrix", scenario))
