#!/usr/bin/env python3
"""End to end for keyport-client against a fresh Keyport, with matrix-nio 0.26 (E2EE) as user B.

User A has SDK devices A1 and A2 (the keyport-client CLI, each with its own store); B runs nio.
  1. messages from A1 and from B decrypt on A2 and B (and A2's on B);
  2. a new device A3, verified by A1 through the CLI, requests keys and decrypts the history sent
     before it existed, while an unverified device A4 asking the same gets nothing;
  3. every event appears exactly once across restarts (each CLI run is a restart);
  4. after `kill -9` of A1 mid-conversation its sessions continue with no reused Megolm index;
  5. after A2 is deleted, the next Megolm session is not shared with A2;
  6. after B leaves, the next Megolm session is new and not shared with B.

Usage: client_e2e.py PATH_TO_KEYPORT PATH_TO_KEYPORT_CLIENT
"""

import asyncio
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))

from keyport_server import KeyportServer  # noqa: E402
from nio import (  # noqa: E402
    AsyncClient,
    AsyncClientConfig,
    MegolmEvent,
    RegisterResponse,
    RoomMessageText,
    RoomSendResponse,
    SyncResponse,
)
from sdk_cli import CLI, PASSWORD, expect, with_server  # noqa: E402

class HoldingProxy:
    """An HTTP proxy in front of the server that, when told to, holds the next encrypted room send
    and never forwards it: the client has saved its Megolm ratchet by then, so killing it now lands
    exactly between "index used" and "event sent"."""

    def __init__(self, upstream: str):
        self.upstream = upstream
        self.hold = threading.Event()
        self.held = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if proxy.hold.is_set() and self.command == "PUT" and "/send/m.room.encrypted/" in self.path:
                    proxy.held.set()
                    time.sleep(60)
                    return
                request = urllib.request.Request(proxy.upstream + self.path, data=body, method=self.command)
                for name in ("Authorization", "Content-Type"):
                    if self.headers.get(name):
                        request.add_header(name, self.headers[name])
                try:
                    with urllib.request.urlopen(request, timeout=120) as reply:
                        status, data = reply.status, reply.read()
                except urllib.error.HTTPError as error:
                    status, data = error.code, error.read()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class NioUser:
    def __init__(self, server: KeyportServer, root: str, name: str):
        store = tempfile.mkdtemp(dir=root, prefix=f"{name}-")
        config = AsyncClientConfig(encryption_enabled=True, store_sync_tokens=True)
        self.client = AsyncClient(server.url, f"@{name}:{server.server_name}", store_path=store, config=config)

    async def register(self, name: str) -> None:
        response = await self.client.register(name, PASSWORD)
        assert isinstance(response, RegisterResponse), f"register {name}: {response}"
        await self.sync()

    async def sync(self, timeout: int = 0) -> SyncResponse:
        client = self.client
        response = await client.sync(timeout=timeout, full_state=client.next_batch is None)
        assert isinstance(response, SyncResponse), f"sync: {response}"
        if client.should_upload_keys:
            await client.keys_upload()
        if client.should_query_keys:
            await client.keys_query()
        if client.should_claim_keys:
            await client.keys_claim(client.get_users_for_key_claiming())
        return response

    async def wait_for_text(self, room_id: str, body: str) -> RoomMessageText:
        for _ in range(20):
            await self.sync(timeout=1000)
            room = self.client.rooms.get(room_id)
            # nio keeps no timeline; look at what this round brought and at undecrypted leftovers.
            for event in self.seen:
                if isinstance(event, RoomMessageText) and event.body == body:
                    return event
        undecrypted = [e.event_id for e in self.seen if isinstance(e, MegolmEvent)]
        raise AssertionError(f"nio never decrypted {body!r} (undecrypted: {undecrypted}, room {room is not None})")

    async def send(self, room_id: str, body: str) -> str:
        await self.sync()
        sent = await self.client.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": body},
                                           ignore_unverified_devices=True)
        assert isinstance(sent, RoomSendResponse), f"nio room_send: {sent}"
        return sent.event_id


async def scenario(keyport: str, client_binary: str) -> None:
    root = tempfile.mkdtemp(prefix="keyport-client-e2e-")
    server = KeyportServer(keyport, os.path.join(root, "server"))
    await with_server(server, lambda: run(server, root, client_binary))


async def run(server: KeyportServer, root: str, binary: str) -> None:
    def device(name: str) -> CLI:
        return CLI(binary, server.url, os.path.join(root, name), name)

    a1, a2, a3, a4 = device("a1"), device("a2"), device("a3"), device("a4")
    a1.device_id = a1.one("register", "alice", PASSWORD)["device_id"]
    a2.device_id = a2.one("login", "alice", PASSWORD)["device_id"]
    alice = f"@alice:{server.server_name}"

    bob = NioUser(server, root, "bob")
    bob.seen = []
    original_sync = bob.sync

    async def recording_sync(timeout: int = 0) -> SyncResponse:
        response = await original_sync(timeout)
        for room in response.rooms.join.values():
            bob.seen.extend(room.timeline.events)
        # Events nio could not decrypt at first may decrypt once their key arrived.
        for index, event in enumerate(bob.seen):
            if isinstance(event, MegolmEvent):
                try:
                    decrypted = bob.client.decrypt_event(event)
                    bob.seen[index] = decrypted
                except Exception:
                    pass
        return response

    bob.sync = recording_sync
    await bob.register("bob")
    bob_id = bob.client.user_id

    room_id = a1.one("create-room", "--encrypted", "--invite", bob_id)["room_id"]
    await bob.sync()
    joined = await bob.client.join(room_id)
    expect(getattr(joined, "room_id", None) == room_id, f"nio join: {joined}")
    await bob.sync()

    # 1. A1 → B and A2; B → A1 and A2; A2 → B.
    sent = a1.one("send", room_id, "from A1 #1")
    first_session = sent["session_id"]
    await bob.wait_for_text(room_id, "from A1 #1")
    expect("from A1 #1" in a2.texts(room_id), "A2 did not decrypt A1's message")
    await bob.send(room_id, "from B #1")
    expect("from B #1" in a2.texts(room_id), "A2 did not decrypt B's message")
    expect("from B #1" in a1.texts(room_id), "A1 did not decrypt B's message")
    a2.one("send", room_id, "from A2 #1")
    await bob.wait_for_text(room_id, "from A2 #1")
    expect("from A2 #1" in a1.texts(room_id), "A1 did not decrypt A2's message")
    print("PASS messages from A1, A2 and B decrypt on A1, A2 and B")

    # 2. A3 (verified by A1) gets the history through a key request; A4 (unverified) gets nothing.
    a3.device_id = a3.one("login", "alice", PASSWORD)["device_id"]
    a4.device_id = a4.one("login", "alice", PASSWORD)["device_id"]
    history = {"from A1 #1", "from B #1", "from A2 #1"}
    before = a3.messages(room_id)
    expect(not any(line.get("decrypted") for line in before if line["type"] == "m.room.encrypted"),
           "A3 decrypted history before asking")
    a3_fingerprint = a3.one("fingerprint")["fingerprint"]
    wrong = a1.run("verify-own-device", a3.device_id, "AAAA" + a3_fingerprint[4:], ok=False)[0]
    expect(wrong["returncode"] != 0 and "mismatch" in wrong["stderr"], f"a wrong fingerprint was accepted: {wrong}")
    verified = a1.one("verify-own-device", a3.device_id, a3_fingerprint)
    expect(verified["verified"] and verified["cross_signed"], f"A1 did not cross-sign A3: {verified}")
    a1_fingerprint = a1.one("fingerprint")["fingerprint"]
    expect(a3.one("verify-own-device", a1.device_id, a1_fingerprint)["verified"], "A3 did not verify A1")
    devices = {line["device_id"]: line for line in a1.run("devices")}
    expect(devices[a3.device_id]["cross_signed"] and devices[a3.device_id]["verified"], f"devices: {devices}")
    expect(not devices[a4.device_id]["verified"], f"A4 should not be verified: {devices}")

    requested = a3.run("request-keys", room_id)
    expect(any(line.get("key_request") == "sent" for line in requested), f"A3 sent no key request: {requested}")
    a4.run("request-keys", room_id)
    answers = a1.run("sync")
    received = [line for line in answers if line.get("key_request") == "received"]
    by_device = {}
    for line in received:
        by_device.setdefault(line["device_id"], []).append(line["answered"])
    expect(by_device.get(a3.device_id) and all(by_device[a3.device_id]), f"A1 did not answer A3: {received}")
    expect(by_device.get(a4.device_id) and not any(by_device[a4.device_id]), f"A1 answered A4: {received}")
    a3_texts = a3.texts(room_id)
    expect(history <= set(a3_texts), f"A3 did not decrypt the history: {sorted(a3_texts)}")
    a4_texts = a4.texts(room_id)
    expect(not (history & set(a4_texts)), f"unverified A4 decrypted history: {sorted(a4_texts)}")
    print("PASS verified A3 decrypts earlier history via key request; unverified A4 gets nothing")

    # 3. Exactly once across restarts: several runs, each a new process on the same store.
    seen_ids: list[str] = []
    last_before_kill = None
    for round_number in range(3):
        last_before_kill = a1.one("send", room_id, f"restart round {round_number}")
        for line in a2.run("sync"):
            if "event_id" in line and not line.get("late_decryption"):
                seen_ids.append(line["event_id"])
    expect(len(seen_ids) == len(set(seen_ids)), f"A2's sync runs printed an event twice: {seen_ids}")
    a2_texts = a2.texts(room_id)
    expect({f"restart round {n}" for n in range(3)} <= set(a2_texts), "A2 missed restart rounds")
    print("PASS every event appears exactly once across restarts")

    # 4. kill -9 A1 while it sends; its sessions carry on without reusing an index.
    # Kill A1 three times exactly after it saved the advanced ratchet and before the event left.
    proxy = HoldingProxy(server.url)
    through_proxy = CLI(binary, proxy.url, a1.store, "a1-via-proxy")
    for attempt in range(3):
        proxy.held.clear()
        proxy.hold.set()
        process = subprocess.Popen(through_proxy.argv("send", room_id, f"held {attempt}"),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        expect(proxy.held.wait(timeout=60), "A1's send never reached the proxy")
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        proxy.hold.clear()
    proxy.server.shutdown()

    # Then at random points inside a send, whose length is measured first, until 5 runs died.
    started = time.monotonic()
    a1.one("send", room_id, "timing")
    duration = time.monotonic() - started
    killed = attempts = 0
    while killed < 5 and attempts < 40:
        process = subprocess.Popen(a1.argv("send", room_id, f"burst {attempts}"), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        attempts += 1
        time.sleep(random.uniform(0.05, 0.95) * duration)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            killed += 1
        process.wait()
    expect(killed >= 5, f"only {killed} of {attempts} sends could be killed mid-run")
    after_kill = a1.one("send", room_id, "after kill")
    await bob.wait_for_text(room_id, "after kill")
    lines = a2.messages(room_id)
    used: dict[tuple, str] = {}
    for line in lines:
        if line.get("encrypted") and "message_index" in line:
            key = (line["session_id"], line["message_index"])
            expect(key not in used, f"Megolm index reused: {key} by {used.get(key)} and {line['event_id']}")
            used[key] = line["event_id"]
    expect(any(line.get("content", {}).get("body") == "after kill" and line["decrypted"] for line in lines),
           "A2 did not decrypt A1's message after the kill")
    undecrypted = [line["event_id"] for line in lines if line.get("encrypted") and not line.get("decrypted")]
    expect(not undecrypted, f"A2 could not decrypt {undecrypted} (a burst the kill interrupted?)")
    # The same session carries on from where the killed runs left it: the ratchet was saved, not reset.
    expect(after_kill["session_id"] == last_before_kill["session_id"]
           and after_kill["message_index"] > last_before_kill["message_index"],
           f"A1's session did not continue after the kill: {last_before_kill} then {after_kill}")
    indices = sorted(index for session, index in used if session == after_kill["session_id"])
    skipped = sorted(set(range(indices[0], indices[-1] + 1)) - set(indices))
    expect(len(skipped) >= 3, f"the three held sends should each have used up an index: skipped {skipped}")
    print(f"PASS kill -9 of A1 (3 sends held and killed, {killed} of {attempts} killed at random): no Megolm index reused, the session "
          f"continues at index {after_kill['message_index']} (indices skipped by killed runs: {skipped})")

    # 5. Delete A2: the next session is not shared with it.
    a1.one("delete-device", a2.device_id, PASSWORD)
    after_delete = a1.one("send", room_id, "after A2 deleted")
    expect(after_delete["session_id"] != first_session, "no new session after deleting A2")
    with sqlite3.connect(os.path.join(a1.store, "client.sqlite3")) as db:
        session_id, shared = db.execute(
            "SELECT json_extract(pickle, '$.signingKey.publicKey'), shared_with FROM outbound_group_sessions "
            "WHERE room_id = ?", (room_id,)).fetchone()
    holders = json.loads(shared)
    expect(a2.device_id not in holders.get(alice, {}), f"the new session went to deleted A2: {holders}")
    expect(a3.device_id in holders.get(alice, {}), f"the new session did not go to A3: {holders}")
    await bob.wait_for_text(room_id, "after A2 deleted")
    expect("after A2 deleted" in a3.texts(room_id), "A3 did not decrypt the message after A2's deletion")
    gone = a2.run("sync", ok=False)[0]
    expect(gone["returncode"] != 0, "deleted A2 can still sync")
    print(f"PASS after deleting A2 the new session ({after_delete['session_id'][:8]}…) is not shared with A2")

    # 6. B leaves: membership changed, so the next session is new and B's devices do not get it.
    left = await bob.client.room_leave(room_id)
    expect(not hasattr(left, "status_code") or left.status_code is None, f"nio room_leave: {left}")
    after_leave = a1.one("send", room_id, "after B left")
    expect(after_leave["session_id"] != after_delete["session_id"], "no new session after B left")
    with sqlite3.connect(os.path.join(a1.store, "client.sqlite3")) as db:
        (shared,) = db.execute("SELECT shared_with FROM outbound_group_sessions WHERE room_id = ?",
                               (room_id,)).fetchone()
    holders = json.loads(shared)
    expect(bob_id not in holders, f"the session after B left went to B: {holders}")
    expect("after B left" in a3.texts(room_id), "A3 did not decrypt the message after B left")
    print("PASS after B leaves the room the next session is new and not shared with B")

    await bob.client.close()


def main() -> int:
    keyport, client_binary = sys.argv[1], sys.argv[2]
    try:
        asyncio.run(asyncio.wait_for(scenario(keyport, client_binary), timeout=600))
    except Exception:
        traceback.print_exc()
        print("client e2e: FAILED")
        return 1
    print("client e2e: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
