"""Whether both servers hold the same room: every message sent, decryptable by both users, and the
same set of encrypted events on both sides (as `/messages` returns them, so events a server
backfilled count as well as those that came through /sync)."""

import asyncio
import time
from dataclasses import dataclass, field

import matrix_api
from participant import POLL_MS, Participant
from shared_room import SharedRoom, assert_same_state


@dataclass
class View:
    """One user's view of the room: the encrypted events its server returns, and their bodies as
    this user's device decrypts them."""

    encrypted: set[str] = field(default_factory=set)
    bodies: dict[str, str] = field(default_factory=dict)
    via_sync: set[str] = field(default_factory=set)


async def view_of(participant: Participant, room_id: str) -> View:
    await participant.sync(timeout_ms=0)  # also brings any room keys in
    from_sync = participant.texts(room_id)
    view = View(via_sync=set(from_sync))
    for event in await matrix_api.messages(participant.client, room_id):
        if event.get("type") != "m.room.encrypted":
            continue
        event_id = event["event_id"]
        view.encrypted.add(event_id)
        body = from_sync.get(event_id) or participant.decrypt_raw(event)
        if body is not None:
            view.bodies[event_id] = body
    return view


def problems(views: dict[str, View], sent: dict[str, str]) -> list[str]:
    found = []
    for who, view in views.items():
        if missing := set(sent) - view.encrypted:
            found.append(f"{who}'s server lacks {sorted(missing)}")
        if undecrypted := {e for e in sent if e in view.encrypted and view.bodies.get(e) != sent[e]}:
            found.append(f"{who} cannot decrypt {sorted(undecrypted)}")
    sets = [view.encrypted for view in views.values()]
    if any(s != sets[0] for s in sets):
        found.append("the servers return different encrypted events: "
                     + "; ".join(f"{who} {sorted(view.encrypted)}" for who, view in views.items()))
    return found


async def assert_converged(room: SharedRoom, sent: dict[str, str], timeout: float) -> dict[str, View]:
    """Waits until both users see every message of `sent` (event ID -> body) and their servers
    agree on the room's encrypted events and current state; returns the views."""
    deadline = time.monotonic() + timeout
    while True:
        views = {"alice": await view_of(room.alice, room.room_id), "bob": await view_of(room.bob, room.room_id)}
        found = problems(views, sent)
        if not found:
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"room not converged within {timeout:.0f} s: " + "; ".join(found))
        await asyncio.sleep(POLL_MS / 1000)
    await assert_same_state(room)
    return views
