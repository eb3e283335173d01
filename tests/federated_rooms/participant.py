"""A logged-in device driven by matrix-nio with E2EE, and what its syncs have shown so far.

Every sync goes through `Participant.sync`, which does what a client does after a sync (upload
keys it lacks, query the keys of users nio marked outdated) and records what the scenarios assert
on: `device_lists` of each incremental sync, decrypted room messages, pending invites.
"""

import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from nio import (
    AsyncClient,
    AsyncClientConfig,
    LoginResponse,
    MegolmEvent,
    RoomMessageText,
    RoomSendResponse,
    SyncResponse,
)

from homeserver import Homeserver

PASSWORD = "federated-rooms-password"
POLL_MS = 500  # long-poll of the syncs that wait for something


@dataclass(frozen=True)
class DeviceListEntry:
    """`device_lists` of one incremental sync, with when it was answered."""

    at: float
    changed: frozenset[str]
    left: frozenset[str]


class Participant:
    def __init__(self, client: AsyncClient, server: Homeserver):
        self.client = client
        self.server = server
        self.device_lists: list[DeviceListEntry] = []
        self.invites: set[str] = set()
        self.incidents: list[str] = []  # known server deviations this device ran into (deviations.py)
        self._texts: dict[str, dict[str, str]] = {}  # room ID -> event ID -> decrypted body
        self._undecrypted: dict[str, MegolmEvent] = {}

    @property
    def user_id(self) -> str:
        return self.client.user_id

    @property
    def device_id(self) -> str:
        return self.client.device_id

    def __repr__(self) -> str:
        return f"{self.user_id}/{self.device_id}"

    @classmethod
    async def log_in(cls, server: Homeserver, user_id: str, device_id: str, display_name: str,
                     store_root: str) -> "Participant":
        store = tempfile.mkdtemp(dir=store_root, prefix=f"{device_id}-")
        config = AsyncClientConfig(encryption_enabled=True, store_sync_tokens=True)
        client = AsyncClient(server.client_url, user_id, device_id=device_id, store_path=store, config=config)
        response = await client.login(PASSWORD, device_name=display_name)
        assert isinstance(response, LoginResponse), f"login {user_id}/{device_id} on {server.describe()}: {response}"
        participant = cls(client, server)
        await participant.sync()
        assert not client.should_upload_keys, f"{participant} still has keys to upload"
        return participant

    async def sync(self, timeout_ms: int = 0) -> SyncResponse:
        incremental = self.client.next_batch is not None
        response = await self.client.sync(timeout=timeout_ms, full_state=not incremental)
        assert isinstance(response, SyncResponse), f"sync {self} on {self.server.describe()}: {response}"
        if incremental:
            self.device_lists.append(DeviceListEntry(time.monotonic(), frozenset(response.device_list.changed),
                                                     frozenset(response.device_list.left)))
        self.invites.update(response.rooms.invite)
        for room_id, room in response.rooms.join.items():
            for event in room.timeline.events:
                self._record(room_id, event)
        self._retry_decryption()
        if self.client.should_upload_keys:
            await self.client.keys_upload()
        if self.client.should_query_keys:
            await self.client.keys_query()
        return response

    def _record(self, room_id: str, event: object) -> None:
        if isinstance(event, RoomMessageText):
            self._texts.setdefault(room_id, {})[event.event_id] = event.body
        elif isinstance(event, MegolmEvent):
            self._undecrypted[event.event_id] = event

    def _retry_decryption(self) -> None:
        """A room key can arrive after the message it opens; try the ones nio could not open again."""
        for event_id, event in list(self._undecrypted.items()):
            try:
                decrypted = self.client.decrypt_event(event)
            except Exception:
                continue
            del self._undecrypted[event_id]
            self._record(event.room_id, decrypted)

    def texts(self, room_id: str) -> dict[str, str]:
        """Event ID -> body of every message of the room this device decrypted from /sync."""
        return dict(self._texts.get(room_id, {}))

    def decrypt_raw(self, event: dict) -> str | None:
        """The body of an `m.room.encrypted` event as the server returned it, if this device can
        decrypt it (used for /messages, where backfilled events show up)."""
        parsed = MegolmEvent.from_dict(event)
        if not isinstance(parsed, MegolmEvent):
            return None
        try:
            decrypted = self.client.decrypt_event(parsed)
        except Exception:
            return None
        return decrypted.body if isinstance(decrypted, RoomMessageText) else None

    def mark(self) -> int:
        """A position in `device_lists`, to collect what came after it."""
        return len(self.device_lists)

    def device_lists_since(self, mark: int) -> tuple[set[str], set[str]]:
        """Union of `changed` and of `left` over the syncs after `mark`."""
        changed: set[str] = set()
        left: set[str] = set()
        for entry in self.device_lists[mark:]:
            changed |= entry.changed
            left |= entry.left
        return changed, left

    async def send_text(self, room_id: str, body: str) -> str:
        """Sends an encrypted m.text (nio queries, claims and shares the Megolm session as needed)."""
        response = await self.client.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": body},
                                               ignore_unverified_devices=True)
        assert isinstance(response, RoomSendResponse), f"{self} send {body!r}: {response}"
        return response.event_id

    def knows_encrypted_room(self, room_id: str) -> bool:
        room = self.client.rooms.get(room_id)
        return room is not None and room.encrypted

    async def close(self) -> None:
        await self.client.close()


async def sync_until(participant: Participant, condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Syncs `participant` until `condition()` holds; returns the seconds it took. Fails after
    `timeout` seconds with `what` in the message."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{participant} on {participant.server.describe()}: {what} "
                                 f"not within {timeout:.0f} s")
        await participant.sync(timeout_ms=POLL_MS)
    return time.monotonic() - started


async def sync_for(participant: Participant, seconds: float) -> None:
    """Keeps `participant` syncing for `seconds` (to collect whatever arrives meanwhile)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await participant.sync(timeout_ms=min(POLL_MS, max(0, int((deadline - time.monotonic()) * 1000))))


async def poll_until(check: Callable[[], Awaitable[bool]], timeout: float, what: str,
                     interval: float = 0.5) -> float:
    """Awaits `check()` (a coroutine function answering a bool) until it is true; returns the
    seconds it took, fails after `timeout`."""
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what} not within {timeout:.0f} s")
        await asyncio.sleep(interval)
    return time.monotonic() - started


def store_root(workdir: str) -> str:
    path = os.path.join(workdir, "clients")
    os.makedirs(path, exist_ok=True)
    return path
