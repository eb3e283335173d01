"""Scenario: each server in turn is stopped while the other side's user sends messages, then started
again (same data); the room must converge — both users see every message, both servers hold the
same encrypted events and state.

Two kinds of outage, one per server:
1. the joining server is down while alice sends: her server keeps the events queued and, once
   the joining server is reachable again, sends them all (Synapse keeps its per-destination queue
   in memory and retries);
2. the hosting server is down while bob sends, and bob's server is itself restarted before the
   hosting server comes back: a restarted Synapse has lost its in-memory queue and catches the
   destination up from its database with only the newest event of the room ("catch-up mode"), so
   the hosting server must fetch the gap itself (`/get_missing_events`). This is the case issue
   11 means by "Synapse sends only the newest event per room after an outage".

After the restart the scenario first watches for `PASSIVE_WAIT` seconds whether the missed
messages arrive with nobody on the restarted side doing anything (noted either way: Synapse as
sender retries a destination it backed off from only on new traffic for it, on an inbound
request from it, or from a wake-up loop that runs once a minute), then the restarted side's user
sends a message — what a user coming back does, and an inbound request that tells Synapse the
destination is up — and convergence must follow within `CONVERGE_TIMEOUT`.
"""

import asyncio
import time

import shared_room
from convergence import assert_converged
from participant import Participant, sync_until
from scenario_context import ScenarioContext

OUTAGE_MESSAGES = 3
PASSIVE_WAIT = 5.0
CONVERGE_TIMEOUT = 45.0


async def outage(ctx: ScenarioContext, room: shared_room.SharedRoom, down: Participant, sender: Participant,
                 sent: dict[str, str], restart_sender: bool) -> None:
    server = down.server
    await server.stop_async()
    for number in range(1, OUTAGE_MESSAGES + 1):
        body = f"{number} of {OUTAGE_MESSAGES} while {server.describe()} was down"
        sent[await sender.send_text(room.room_id, body)] = body
    await asyncio.sleep(3)  # the sender's server tries, gives up and backs off meanwhile
    if restart_sender:
        await asyncio.to_thread(sender.server.restart)
        ctx.note(f"{sender.server.describe()} restarted too while {server.describe()} was down")
    await server.start_async()
    restarted = time.monotonic()
    missed = [event_id for event_id, body in sent.items() if "was down" in body and server.describe() in body]
    try:
        seconds = await sync_until(down, lambda: all(e in down.texts(room.room_id) for e in missed), PASSIVE_WAIT,
                                   "the missed messages")
        ctx.note(f"{server.describe()} restarted: missed messages arrived by themselves after {seconds:.1f} s")
    except AssertionError:
        got = sum(e in down.texts(room.room_id) for e in missed)
        ctx.note(f"{server.describe()} restarted: {got}/{len(missed)} missed messages arrived by themselves "
                 f"within {PASSIVE_WAIT:.0f} s")
    body = f"{down.user_id} is back after {server.describe()} restarted"
    sent[await down.send_text(room.room_id, body)] = body
    views = await assert_converged(room, sent, CONVERGE_TIMEOUT)
    through_sync = sum(e in views["alice" if down is room.alice else "bob"].via_sync for e in missed)
    ctx.note(f"{server.describe()} converged {time.monotonic() - restarted:.1f} s after its restart; "
             f"{through_sync}/{len(missed)} missed messages reached {down.user_id.split(':')[0]} through /sync")


async def restart_each_server(ctx: ScenarioContext) -> None:
    room = await shared_room.set_up(ctx)
    await shared_room.exchange(ctx, room)
    sent: dict[str, str] = {}
    await outage(ctx, room, down=room.bob, sender=room.alice, sent=sent, restart_sender=False)
    await outage(ctx, room, down=room.alice, sender=room.bob, sent=sent, restart_sender=True)
