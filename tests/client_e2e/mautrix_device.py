"""mautrix-python devices for the side-by-side scenarios (mautrix_secrets.py, key_backup_restore.py):
a Client with an OlmMachine on memory stores, logged in with an access token, its device keys
uploaded, and the secret-storage key a recovery key unlocks."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))

from mautrix_e2e import CryptoStore, StateStore  # noqa: E402
from mautrix.client import Client  # noqa: E402
from mautrix.crypto import OlmMachine  # noqa: E402
from mautrix.crypto.ssss import Key as SSSSKey  # noqa: E402


async def device(base: str, account: dict, pickle_key: str = "keyport-secrets-pickle-key") -> tuple[Client, OlmMachine]:
    """A mautrix device for a registered or logged-in `account` (user_id, device_id, access_token)."""
    state_store = StateStore()
    crypto_store = CryptoStore(account["user_id"], pickle_key)
    client = Client(account["user_id"], account["device_id"], base_url=base, token=account["access_token"],
                    state_store=state_store, sync_store=crypto_store)
    machine = OlmMachine(client, crypto_store, state_store)
    await crypto_store.open()
    await crypto_store.put_device_id(client.device_id)
    await machine.load()
    client.crypto = machine  # also makes the client encrypt what it sends to encrypted rooms
    await machine.share_keys(0)
    return client, machine


async def default_ssss_key(machine: OlmMachine, recovery_key: str) -> SSSSKey:
    """The default secret-storage key, checked against its description in account data."""
    key_id, key_data = await machine.ssss.get_default_key_data()
    return key_data.verify_recovery_key(key_id, recovery_key)


def signed_by(obj: dict, user_id: str, public_key: str) -> bool:
    return obj.get("signatures", {}).get(user_id, {}).get(f"ed25519:{public_key}") is not None


async def close(*clients: Client | None) -> None:
    for client in clients:
        if client is not None:
            await client.api.session.close()
