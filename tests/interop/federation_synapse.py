#!/usr/bin/env python3
"""Federation interop: a real Synapse and a real Keyport federate over TLS on loopback, driven by
real matrix-nio clients doing E2EE.

What passing proves, with no mocks on either side:
(1) synapse_to_keyport: a Synapse user's key query and one-time-key claim for a Keyport user go
    through Synapse to Keyport's federation API (X-Matrix-signed both ways, server keys fetched
    directly), and an Olm-encrypted to-device message sent through Synapse arrives at Keyport as an
    m.direct_to_device EDU and is decrypted by the Keyport user's nio client;
(2) keyport_to_synapse: the same in the other direction, with Keyport as the querying, claiming
    and sending server;
(3) synapse_down_and_up: while Synapse is stopped, a Keyport user's Olm to-device message for a
    Synapse user is queued by Keyport; after Synapse starts again Keyport's retries deliver it, and
    the Synapse user receives it exactly once (further syncs bring no duplicate);
(4) keyport_killed_while_queued: as (3), but Keyport is also killed (SIGKILL) and restarted while
    Synapse is down, so the message must come from Keyport's durable outbound queue;
(5) keyport_to_keyport and (6) keyport2_to_keyport: the same key query, claim and Olm exchange
    between two Keyport servers, in both directions, so that every pair of the three servers has
    exchanged keys and encrypted to-device messages.

Usage: federation_synapse.py PATH_TO_KEYPORT_BINARY   (run with a Python that has matrix-nio[e2e]
and matrix-synapse installed; scripts/federation_interop.sh sets that up)
"""

import asyncio
import os
import subprocess
import sys
import tempfile
import time

from nio import (
    AsyncClient,
    AsyncClientConfig,
    DummyEvent,
    KeysClaimResponse,
    KeysQueryResponse,
    RegisterResponse,
    SyncResponse,
    ToDeviceMessage,
    ToDeviceResponse,
)

from federating_keyport import FederatingKeyport
from scenario_run import run_scenarios
from synapse_server import SynapseServer, make_certificate

PASSWORD = "interop-password"
DELIVERY_TIMEOUT = 60.0  # seconds to wait for a federated to-device message


class Homeserver:
    """What a test client needs to know about a server: its client URL and server name."""

    def __init__(self, label: str, url: str, server_name: str):
        self.label, self.url, self.server_name = label, url, server_name


class Clients:
    """nio clients with E2EE, registered on either server; closed together."""

    def __init__(self, root: str):
        self.root = root
        self.clients: list[AsyncClient] = []

    async def new(self, server: Homeserver, name: str) -> AsyncClient:
        store = tempfile.mkdtemp(dir=self.root, prefix=f"{name}-")
        config = AsyncClientConfig(encryption_enabled=True, store_sync_tokens=True)
        client = AsyncClient(server.url, f"@{name}:{server.server_name}", store_path=store, config=config)
        self.clients.append(client)
        response = await client.register(name, PASSWORD)
        assert isinstance(response, RegisterResponse), f"register {name} on {server.label}: {response}"
        await sync(client)
        assert not client.should_upload_keys, f"{client.user_id} still has keys to upload"
        return client

    async def close(self) -> None:
        for client in self.clients:
            await client.close()


async def sync(client: AsyncClient, timeout: int = 0) -> SyncResponse:
    response = await client.sync(timeout=timeout, full_state=client.next_batch is None)
    assert isinstance(response, SyncResponse), f"sync {client.user_id}: {response}"
    if client.should_upload_keys:
        upload = await client.keys_upload()
        assert getattr(upload, "status_code", None) is None, f"keys_upload {client.user_id}: {upload}"
    return response


async def query(client: AsyncClient, other: AsyncClient) -> None:
    """`client` fetches `other`'s device keys over federation (nio only queries room members by itself)."""
    client.olm.users_for_key_query.add(other.user_id)
    response = await client.keys_query()
    assert isinstance(response, KeysQueryResponse), f"keys_query {client.user_id} -> {other.user_id}: {response}"
    assert not response.failures, f"keys_query {client.user_id} -> {other.user_id} failures: {response.failures}"
    devices = client.device_store[other.user_id]
    assert other.device_id in devices, f"{client.user_id} got no device {other.device_id} for {other.user_id}: {response.device_keys}"
    device = devices[other.device_id]
    assert device.curve25519 == other.olm.account.identity_keys["curve25519"], "wrong curve25519 key"
    assert device.ed25519 == other.olm.account.identity_keys["ed25519"], "wrong ed25519 key"


async def claim(client: AsyncClient, other: AsyncClient) -> None:
    """`client` claims one of `other`'s one-time keys over federation, which opens an Olm session."""
    response = await client.keys_claim({other.user_id: [other.device_id]})
    assert isinstance(response, KeysClaimResponse), f"keys_claim {client.user_id} -> {other.user_id}: {response}"
    assert not response.failures, f"keys_claim failures: {response.failures}"
    assert other.device_id in response.one_time_keys.get(other.user_id, {}), f"no one-time key: {response}"
    device = client.device_store[other.user_id][other.device_id]
    assert client.olm.session_store.get(device.curve25519) is not None, "no Olm session after the claim"


async def send_dummy(client: AsyncClient, other: AsyncClient, txn: str) -> None:
    """`client` sends an Olm-encrypted m.dummy to `other`'s device."""
    device = client.device_store[other.user_id][other.device_id]
    session = client.olm.session_store.get(device.curve25519)
    content = client.olm._olm_encrypt(session, device, "m.dummy", {})
    message = ToDeviceMessage("m.room.encrypted", other.user_id, other.device_id, content)
    response = await client.to_device(message, tx_id=txn)
    assert isinstance(response, ToDeviceResponse), f"to_device {client.user_id} -> {other.user_id}: {response}"


async def receive(recipient: AsyncClient, sender: AsyncClient, timeout: float = DELIVERY_TIMEOUT) -> list:
    """Long-polls `recipient`'s sync until to-device events from `sender` arrive; returns them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = await sync(recipient, timeout=5000)
        events = [event for event in response.to_device_events if getattr(event, "sender", None) == sender.user_id]
        if events:
            return events
    raise AssertionError(f"{recipient.user_id} got nothing from {sender.user_id} within {timeout:.0f} s")


def assert_decrypted(events: list, recipient: AsyncClient, sender: AsyncClient) -> None:
    kinds = [type(event).__name__ for event in events]
    assert len(events) == 1, f"{recipient.user_id} expected one to-device event from {sender.user_id}, got {kinds}"
    assert isinstance(events[0], DummyEvent), f"{recipient.user_id} could not decrypt {sender.user_id}'s message: {events[0]}"


async def olm_exchange(clients: Clients, origin: Homeserver, target: Homeserver, names: tuple[str, str]) -> None:
    sender = await clients.new(origin, names[0])
    recipient = await clients.new(target, names[1])
    await query(sender, recipient)
    await claim(sender, recipient)
    await send_dummy(sender, recipient, txn=f"{names[0]}-1")
    await query(recipient, sender)
    assert_decrypted(await receive(recipient, sender), recipient, sender)


async def synapse_to_keyport(env: "Environment") -> None:
    await olm_exchange(env.clients, env.synapse_hs, env.keyport_hs, ("s_alice1", "k_bob1"))


async def keyport_to_synapse(env: "Environment") -> None:
    await olm_exchange(env.clients, env.keyport_hs, env.synapse_hs, ("k_alice2", "s_bob2"))


async def keyport_to_keyport(env: "Environment") -> None:
    await olm_exchange(env.clients, env.keyport_hs, env.keyport2_hs, ("k_alice5", "k2_bob5"))


async def keyport2_to_keyport(env: "Environment") -> None:
    await olm_exchange(env.clients, env.keyport2_hs, env.keyport_hs, ("k2_alice6", "k_bob6"))


async def queued_while_down(env: "Environment", names: tuple[str, str], down: float, restart_keyport: bool) -> None:
    """A Keyport user sends an Olm message to a Synapse user while Synapse is stopped for `down`
    seconds (optionally killing and restarting Keyport meanwhile); after Synapse is back the
    message arrives exactly once."""
    sender = await env.clients.new(env.keyport_hs, names[0])
    recipient = await env.clients.new(env.synapse_hs, names[1])
    await query(sender, recipient)
    await claim(sender, recipient)
    await query(recipient, sender)

    failed_sends = env.keyport.log_tail(10**7).count("will retry")
    await asyncio.to_thread(env.synapse.stop)
    await send_dummy(sender, recipient, txn=f"{names[0]}-down")
    await asyncio.sleep(down)  # Keyport must hold the message, not drop it
    failed_sends = env.keyport.log_tail(10**7).count("will retry") - failed_sends
    if restart_keyport:
        env.keyport.kill()  # no graceful shutdown: only what Keyport stored survives
        await asyncio.to_thread(env.keyport.start)
    await asyncio.to_thread(env.synapse.start)
    back = time.monotonic()

    events = await receive(recipient, sender)
    print(f"  synapse down {down:.0f} s (keyport logged {failed_sends} failed sends); "
          f"delivered {time.monotonic() - back:.1f} s after synapse was back")
    for _ in range(3):  # a duplicate would show up here (as an undecryptable replay or a second m.dummy)
        response = await sync(recipient, timeout=2000)
        events += [event for event in response.to_device_events if getattr(event, "sender", None) == sender.user_id]
    assert_decrypted(events, recipient, sender)


async def synapse_down_and_up(env: "Environment") -> None:
    # Longer than Keyport's 10 s connect timeout, so that its own retry schedule takes part.
    await queued_while_down(env, ("k_alice3", "s_bob3"), down=13, restart_keyport=False)


async def keyport_killed_while_queued(env: "Environment") -> None:
    await queued_while_down(env, ("k_alice4", "s_bob4"), down=3, restart_keyport=True)


class Environment:
    def __init__(self, binary: str, root: str):
        cert, key = make_certificate(root)
        self.keyport = FederatingKeyport(binary, os.path.join(root, "keyport"), cert, key)
        self.keyport2 = FederatingKeyport(binary, os.path.join(root, "keyport2"), cert, key)
        self.synapse = SynapseServer(os.path.join(root, "synapse"), cert, key)
        self.keyport_hs = Homeserver("keyport", self.keyport.url, self.keyport.server_name)
        self.keyport2_hs = Homeserver("keyport2", self.keyport2.url, self.keyport2.server_name)
        self.synapse_hs = Homeserver("synapse", self.synapse.url, self.synapse.server_name)
        self.clients = Clients(root)

    async def start(self) -> None:
        await asyncio.to_thread(self.keyport.start)
        await asyncio.to_thread(self.keyport2.start)
        await asyncio.to_thread(self.synapse.start)

    def dump_logs(self) -> None:
        for keyport in (self.keyport, self.keyport2):
            print(f"--- keyport log ({keyport.log_path}) ---")
            print(keyport.log_tail())
        print(f"--- synapse log ({self.synapse.workdir}) ---")
        print(self.synapse.log_tail())

    def describe(self) -> str:
        return (f"keyport {self.keyport.server_name}, keyport {self.keyport2.server_name} and synapse "
                f"{self.synapse.server_name}")

    async def restart_stopped(self) -> None:
        """After a failed scenario: every server up again for the next one."""
        for server in (self.keyport, self.keyport2, self.synapse):
            if server.process is None or server.process.poll() is not None:
                await asyncio.to_thread(server.start)

    async def stop(self) -> None:
        await self.clients.close()
        await asyncio.to_thread(self.synapse.stop)
        for keyport in (self.keyport, self.keyport2):
            started = time.monotonic()
            if not await asyncio.to_thread(keyport.stop):
                print(f"note: keyport did not exit within {time.monotonic() - started:.0f} s of SIGTERM and was killed")


async def main(binary: str) -> int:
    root = tempfile.mkdtemp(prefix="keyport-federation-")
    env = Environment(binary, root)
    return await run_scenarios(
        "federation interop", root, env, env.describe,
        [("synapse_to_keyport", synapse_to_keyport), ("keyport_to_synapse", keyport_to_synapse),
         ("synapse_down_and_up", synapse_down_and_up), ("keyport_killed_while_queued", keyport_killed_while_queued),
         ("keyport_to_keyport", keyport_to_keyport), ("keyport2_to_keyport", keyport2_to_keyport)],
        timeout=150, after_failure=env.restart_stopped)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1])))
