#!/usr/bin/env python3
"""A second, independent client against the SDK: mautrix-python with its `encryption` extra
(python-olm underneath, pinned by scripts/client_e2e.sh) joins an encrypted room made by
keyport-client devices on a fresh Keyport, and each side decrypts the other's messages.

User A has SDK devices A1 and A2 (the keyport-client CLI); user C runs mautrix with an OlmMachine
on a memory crypto store and a memory state store.
  1. messages A1 and A2 send decrypt in mautrix (through its OlmMachine, keys via Olm to-device);
  2. a message mautrix sends (its own Megolm session, shared over Olm with A1 and A2) shows up
     decrypted in `keyport-client messages` on both A1 and A2.

Usage: mautrix_e2e.py PATH_TO_KEYPORT PATH_TO_KEYPORT_CLIENT
"""

import asyncio
import json
import os
import sys
import tempfile
import traceback
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))

from sdk_cli import CLI, PASSWORD, expect, with_server  # noqa: E402
from keyport_server import KeyportServer  # noqa: E402
from mautrix.client import Client  # noqa: E402
from mautrix.client.state_store.memory import MemoryStateStore  # noqa: E402
from mautrix.crypto import OlmMachine  # noqa: E402
from mautrix.crypto.store.memory import MemoryCryptoStore  # noqa: E402
from mautrix.crypto.store.abstract import StateStore as CryptoStateStore  # noqa: E402
from mautrix.types import EncryptedEvent, EventType, Membership, MessageEvent, TOFUSigningKey  # noqa: E402


class CryptoStore(MemoryCryptoStore):
    """mautrix 0.21.1's memory crypto store assigns to a field of the NamedTuple TOFUSigningKey
    when a user's cross-signing key is fetched a second time (AttributeError); replace it instead.
    The SQL stores do this right; the memory one keeps this test free of a database driver."""

    async def put_cross_signing_key(self, user_id, usage, key) -> None:
        current = self._cross_signing_keys.get(user_id, {}).get(usage)
        first = current.first if current else key
        self._cross_signing_keys.setdefault(user_id, {})[usage] = TOFUSigningKey(key=key, first=first)


class StateStore(MemoryStateStore, CryptoStateStore):
    """mautrix's memory state store plus the one query its OlmMachine needs beyond it."""

    async def find_shared_rooms(self, user_id):
        return [room_id for room_id, members in self.members.items()
                if members.get(user_id) is not None and members[user_id].membership == Membership.JOIN]


def register(server: KeyportServer, name: str) -> dict:
    body = {"username": name, "password": PASSWORD, "auth": {"type": "m.login.dummy"},
            "initial_device_display_name": "mautrix"}
    try:
        return server.request("POST", "/_matrix/client/v3/register", body=body)
    except urllib.error.HTTPError as error:  # a server that wants a UIA session first
        session = json.loads(error.read()).get("session")
        body["auth"]["session"] = session
        return server.request("POST", "/_matrix/client/v3/register", body=body)


class MautrixUser:
    def __init__(self, server: KeyportServer, account: dict):
        self.state_store = StateStore()
        self.crypto_store = CryptoStore(account["user_id"], "keyport-e2e-pickle-key")
        self.client = Client(account["user_id"], account["device_id"], base_url=server.url,
                             token=account["access_token"], state_store=self.state_store,
                             sync_store=self.crypto_store)
        self.machine = OlmMachine(self.client, self.crypto_store, self.state_store)
        self.decrypted: dict[str, MessageEvent] = {}  # body → the event mautrix decrypted
        self.messages: dict[str, MessageEvent] = {}  # event ID → m.room.message events dispatched
        self.encrypted: dict[str, EncryptedEvent] = {}  # event ID → encrypted events seen
        self.failures: dict[str, str] = {}
        self.client.add_event_handler(EventType.ROOM_MESSAGE, self.on_message)
        self.client.add_event_handler(EventType.ROOM_ENCRYPTED, self.on_encrypted)
        self.next_batch = None

    async def start(self) -> None:
        await self.crypto_store.open()
        await self.crypto_store.put_device_id(self.client.device_id)
        await self.machine.load()
        self.client.crypto = self.machine  # also installs mautrix's DecryptionDispatcher
        await self.machine.share_keys(0)  # device keys and one-time keys, as a fresh device does
        await self.sync()

    async def on_message(self, event: MessageEvent) -> None:
        # mautrix's DecryptionDispatcher hands a decrypted event on as m.room.message with the
        # encrypted event's ID; only those count (see sync), never a plaintext message.
        self.messages[event.event_id] = event

    async def on_encrypted(self, event: EncryptedEvent) -> None:
        self.encrypted[event.event_id] = event

    async def sync(self, timeout: int = 0) -> None:
        data = await self.client.sync(since=self.next_batch, timeout=timeout)
        self.next_batch = data.get("next_batch")
        await asyncio.gather(*self.client.handle_sync(data))
        for event_id, event in self.messages.items():
            if event_id in self.encrypted and getattr(event.content, "body", None):
                self.decrypted[event.content.body] = event
        # An event whose key came in the same /sync may have been tried before the key was stored:
        # try the still-undecrypted ones again, through the same OlmMachine.
        done = {event.event_id for event in self.decrypted.values()}
        for event_id, event in list(self.encrypted.items()):
            if event_id in done:
                continue
            try:
                decrypted = await self.machine.decrypt_megolm_event(event)
            except Exception as error:  # not yet: its room key may still be on the way
                self.failures[event_id] = repr(error)
                continue
            self.failures.pop(event_id, None)
            body = getattr(decrypted.content, "body", None)
            if body:
                self.decrypted[body] = decrypted

    async def wait_for(self, body: str) -> MessageEvent:
        for _ in range(20):
            if body in self.decrypted:
                return self.decrypted[body]
            await self.sync(timeout=1000)
        raise AssertionError(f"mautrix never decrypted {body!r}; failures: {self.failures}")


async def scenario(keyport: str, client_binary: str) -> int:
    root = tempfile.mkdtemp(prefix="keyport-mautrix-e2e-")
    server = KeyportServer(keyport, os.path.join(root, "server"))
    return await with_server(server, lambda: run(server, root, client_binary))


async def run(server: KeyportServer, root: str, binary: str) -> int:
    def device(name: str) -> CLI:
        return CLI(binary, server.url, os.path.join(root, name), name)

    checks = 0
    a1, a2 = device("a1"), device("a2")
    a1.device_id = a1.one("register", "alice", PASSWORD)["device_id"]
    a2.device_id = a2.one("login", "alice", PASSWORD)["device_id"]

    carol = MautrixUser(server, register(server, "carol"))
    await carol.start()
    carol_id = carol.client.mxid
    try:
        room_id = a1.one("create-room", "--encrypted", "--invite", carol_id)["room_id"]
        await carol.sync()
        joined = await carol.client.join_room_by_id(room_id)
        expect(joined == room_id, f"mautrix join: {joined}")
        await carol.sync()
        expect(await carol.state_store.is_encrypted(room_id), "mautrix does not see the room as encrypted")

        # 1. The SDK sends, mautrix decrypts.
        for cli, text in ((a1, "from SDK A1 to mautrix"), (a2, "from SDK A2 to mautrix")):
            sent = cli.one("send", room_id, text)
            event = await carol.wait_for(text)
            expect(event.event_id == sent["event_id"], f"mautrix decrypted {text!r} from another event: {event}")
            expect(event.sender == f"@alice:{server.server_name}", f"wrong sender: {event.sender}")
            expect(sent["event_id"] in carol.encrypted, "the SDK's event did not reach mautrix encrypted")
            checks += 1
        print("PASS mautrix (OlmMachine, python-olm) decrypts messages from SDK devices A1 and A2")

        # 2. mautrix sends (sharing its own Megolm session over Olm), the SDK decrypts.
        texts = ["from mautrix #1", "from mautrix #2"]
        sent_ids = []
        for text in texts:
            sent_ids.append(await carol.client.send_text(room_id, text))
        for cli in (a1, a2):
            lines = {line["event_id"]: line for line in cli.messages(room_id)}
            for text, event_id in zip(texts, sent_ids):
                line = lines.get(event_id)
                expect(line is not None, f"{cli.name} does not list mautrix's event {event_id}")
                expect(line.get("encrypted") and line.get("decrypted"), f"{cli.name} did not decrypt it: {line}")
                expect(line["content"].get("body") == text, f"{cli.name} decrypted {line} for {text!r}")
                expect(line.get("sender") == carol_id, f"{cli.name}: wrong sender in {line}")
                checks += 1
        print("PASS keyport-client A1 and A2 decrypt messages sent by mautrix")

        # And back once more on the SDK's session after mautrix spoke: still decrypts in mautrix.
        a1.one("send", room_id, "SDK after mautrix")
        await carol.wait_for("SDK after mautrix")
        checks += 1
        print("PASS mautrix decrypts the SDK's next message too")
    finally:
        await carol.client.api.session.close()
    return checks


def main() -> int:
    keyport, client_binary = sys.argv[1], sys.argv[2]
    try:
        checks = asyncio.run(asyncio.wait_for(scenario(keyport, client_binary), timeout=300))
    except Exception:
        traceback.print_exc()
        print("mautrix e2e: 0 passed, 1 failed")
        return 1
    if checks == 0:
        print("mautrix e2e: no check ran")
        return 1
    print(f"mautrix e2e: {checks} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
