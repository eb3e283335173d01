#!/usr/bin/env python3
"""Interop with a real Matrix client: matrix-nio (with its E2EE extra) against a fresh Keyport.

(a) two nio users exchange an Olm-encrypted to-device message and the recipient decrypts it;
(b) two nio users in an encrypted room exchange Megolm-encrypted messages and each decrypts the other's;
(c) bob logs in a second device after the room exists; alice sees bob in device_lists.changed,
    queries his keys, and bob's new device decrypts alice's next message.

Usage: nio_e2ee.py PATH_TO_KEYPORT_BINARY
"""

import asyncio
import os
import sys
import tempfile

from nio import (
    AsyncClient,
    AsyncClientConfig,
    DummyEvent,
    LoginResponse,
    MegolmEvent,
    RegisterResponse,
    RoomCreateResponse,
    RoomMessageText,
    RoomSendResponse,
    SyncResponse,
    ToDeviceMessage,
)

from keyport_server import KeyportServer
from scenario_run import run_scenario

PASSWORD = "interop-password"


class Scenario:
    def __init__(self, server: KeyportServer, root: str):
        self.server = server
        self.root = root
        self.clients: list[AsyncClient] = []

    async def client(self, name: str, register: bool = True, device_id: str | None = None) -> AsyncClient:
        store = tempfile.mkdtemp(dir=self.root, prefix=f"{name}-")
        config = AsyncClientConfig(encryption_enabled=True, store_sync_tokens=True)
        client = AsyncClient(self.server.url, f"@{name}:{self.server.server_name}", device_id=device_id,
                             store_path=store, config=config)
        self.clients.append(client)
        if register:
            response = await client.register(name, PASSWORD)
            assert isinstance(response, RegisterResponse), f"register {name}: {response}"
        else:
            response = await client.login(PASSWORD)
            assert isinstance(response, LoginResponse), f"login {name}: {response}"
        await self.sync(client)
        if client.should_upload_keys:
            upload = await client.keys_upload()
            assert not hasattr(upload, "status_code") or upload.status_code is None, f"keys_upload: {upload}"
        return client

    async def sync(self, client: AsyncClient, timeout: int = 0) -> SyncResponse:
        response = await client.sync(timeout=timeout, full_state=client.next_batch is None)
        assert isinstance(response, SyncResponse), f"sync: {response}"
        if client.should_upload_keys:
            await client.keys_upload()
        if client.should_query_keys:
            await client.keys_query()
        return response

    async def close(self) -> None:
        for client in self.clients:
            await client.close()


async def olm_to_device(server: KeyportServer, root: str) -> None:
    scenario = Scenario(server, root)
    try:
        alice = await scenario.client("alice_a")
        bob = await scenario.client("bob_a")
        alice.olm.users_for_key_query.add(bob.user_id)
        await alice.keys_query()
        device = alice.device_store[bob.user_id][bob.device_id]
        claim = await alice.keys_claim({bob.user_id: [bob.device_id]})
        assert bob.user_id in claim.one_time_keys, f"claim: {claim}"
        session = alice.olm.session_store.get(device.curve25519)
        assert session is not None, "no Olm session after claiming a one-time key"
        content = alice.olm._olm_encrypt(session, device, "m.dummy", {})
        sent = await alice.to_device(ToDeviceMessage("m.room.encrypted", bob.user_id, bob.device_id, content), tx_id="olm-1")
        assert not hasattr(sent, "status_code") or sent.status_code is None, f"to_device: {sent}"
        bob.olm.users_for_key_query.add(alice.user_id)
        await bob.keys_query()
        for _ in range(10):
            response = await scenario.sync(bob, timeout=5000)
            decrypted = [event for event in response.to_device_events if isinstance(event, DummyEvent)]
            if decrypted:
                assert decrypted[0].sender == alice.user_id
                return
        raise AssertionError("bob never decrypted alice's Olm message")
    finally:
        await scenario.close()


async def wait_for_text(scenario: Scenario, client: AsyncClient, room_id: str, body: str) -> RoomMessageText:
    for _ in range(15):
        response = await scenario.sync(client, timeout=3000)
        room = response.rooms.join.get(room_id)
        for event in room.timeline.events if room else []:
            if isinstance(event, MegolmEvent):
                raise AssertionError(f"{client.user_id}/{client.device_id} could not decrypt {event.event_id}")
            if isinstance(event, RoomMessageText) and event.body == body:
                return event
    raise AssertionError(f"{client.user_id}/{client.device_id} never saw {body!r}")


async def megolm_room(server: KeyportServer, root: str) -> None:
    scenario = Scenario(server, root)
    try:
        alice = await scenario.client("alice_b")
        bob = await scenario.client("bob_b")
        created = await alice.room_create(
            invite=[bob.user_id],
            initial_state=[{"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}],
        )
        assert isinstance(created, RoomCreateResponse), f"room_create: {created}"
        room_id = created.room_id
        await scenario.sync(bob)
        joined = await bob.join(room_id)
        assert getattr(joined, "room_id", None) == room_id, f"join: {joined}"
        await scenario.sync(alice)
        await scenario.sync(bob)
        sent = await alice.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "hello bob"},
                                     ignore_unverified_devices=True)
        assert isinstance(sent, RoomSendResponse), f"alice room_send: {sent}"
        await wait_for_text(scenario, bob, room_id, "hello bob")
        sent = await bob.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "hello alice"},
                                   ignore_unverified_devices=True)
        assert isinstance(sent, RoomSendResponse), f"bob room_send: {sent}"
        await wait_for_text(scenario, alice, room_id, "hello alice")
    finally:
        await scenario.close()


async def second_device(server: KeyportServer, root: str) -> None:
    scenario = Scenario(server, root)
    try:
        alice = await scenario.client("alice_c")
        bob = await scenario.client("bob_c")
        created = await alice.room_create(
            invite=[bob.user_id],
            initial_state=[{"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}],
        )
        room_id = created.room_id
        await scenario.sync(bob)
        await bob.join(room_id)
        await scenario.sync(alice)
        sent = await alice.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "before"},
                                     ignore_unverified_devices=True)
        assert isinstance(sent, RoomSendResponse), f"room_send: {sent}"
        await wait_for_text(scenario, bob, room_id, "before")

        bob2 = await scenario.client("bob_c", register=False, device_id="BOBSECOND")
        assert bob2.device_id == "BOBSECOND"
        seen = False
        for _ in range(10):
            response = await alice.sync(timeout=3000)
            assert isinstance(response, SyncResponse)
            if bob.user_id in response.device_list.changed:
                seen = True
                break
        assert seen, "alice never saw bob in device_lists.changed"
        if alice.should_query_keys:
            await alice.keys_query()
        assert "BOBSECOND" in alice.device_store[bob.user_id], "alice's key query did not return bob's new device"
        sent = await alice.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "after"},
                                     ignore_unverified_devices=True)
        assert isinstance(sent, RoomSendResponse), f"room_send after: {sent}"
        await wait_for_text(scenario, bob2, room_id, "after")
    finally:
        await scenario.close()


async def main(binary: str) -> int:
    root = tempfile.mkdtemp(prefix="keyport-interop-")
    server = KeyportServer(binary, os.path.join(root, "server"))
    server.start()
    passed = failed = 0
    try:
        for name, scenario in [("olm_to_device", olm_to_device), ("megolm_room", megolm_room),
                               ("second_device", second_device)]:
            if await run_scenario(name, scenario(server, root), timeout=120):
                passed += 1
            else:
                failed += 1
    finally:
        server.stop()
    if failed:
        print(f"--- server log ({server.workdir}/keyport.log) ---")
        with open(os.path.join(server.workdir, "keyport.log")) as log:
            print(log.read()[-6000:])
    print(f"nio interop: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1])))
