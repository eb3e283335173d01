"""A randomised soak of writers and readers across the processes: no to-device message and no
`device_lists` change is missed.

Six users share a local room; each has one reader device whose task syncs in a chain (each request
acknowledges the previous answer through its `since`), every request on a randomly chosen process
with a random long-poll timeout. Meanwhile, for SOAK_SECONDS (env KEYPORT_SCALE_SOAK_SECONDS,
default 30):
- three to-device writers send messages, each with a unique id, to one to three reader devices
  through a random process, and now and then send the same transaction ID again through another
  process (which must not deliver it twice);
- two device-list writers change the users' devices through a random process: log a new device in,
  upload its device keys, rename it, log it out.
Every choice comes from a random.Random seeded from the run's seed (printed; KEYPORT_SCALE_SEED
repeats a run), one per task; how the tasks interleave is up to the machine.

Passing means: every message reached the device it was addressed to exactly once, and nothing
else arrived; and for every device-list change, every other user's reader saw the changed user in
`device_lists.changed` in one of the answers whose window can hold the change (from the first
answer whose `since` was handed out before the change began, to the first answer requested after the
change had returned). Requests must also really have crossed processes: messages delivered through
another process than they were sent through, and changes seen through another process.
"""

import asyncio
import os
import random
import secrets
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from cluster import LABELS
from matrix_http import Device

USERS = 6
TO_DEVICE_WRITERS = 3
DEVICE_LIST_WRITERS = 2
EVENT_TYPE = "org.keyport.scale.soak"
DRAIN_SECONDS = 60


@dataclass
class SyncRecord:
    label: str
    sent_at: float
    received_at: float
    message_ids: list[str]
    changed: set[str]


@dataclass
class Change:
    user_id: str
    what: str
    label: str
    began: float
    ended: float


@dataclass
class Ledger:
    """What was sent and what was seen."""

    expected: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # id -> user, device, process sent to
    delivered: dict[str, list[tuple[str, str, str]]] = field(default_factory=lambda: defaultdict(list))
    foreign: list[str] = field(default_factory=list)  # events that were not ours
    changes: list[Change] = field(default_factory=list)
    records: dict[str, list[SyncRecord]] = field(default_factory=lambda: defaultdict(list))
    resent: int = 0


async def to_device_writer(ctx, ledger: Ledger, rng: random.Random, sender: Device, readers: list[Device],
                           deadline: float, name: str) -> None:
    count = 0
    while time.monotonic() < deadline:
        count += 1
        label = rng.choice(LABELS)
        messages: dict[str, dict[str, dict]] = {}
        for reader in rng.sample(readers, rng.choice([1, 1, 1, 2, 3])):
            message_id = f"{name}-{count}-{secrets.token_hex(4)}"
            ledger.expected[message_id] = (reader.user_id, reader.device_id, label)
            messages[reader.user_id] = {reader.device_id: {"id": message_id, "to": reader.device_id}}
        txn = f"{name}-{count}"
        await ctx.http.send_to_device(ctx.cluster.url(label), sender, EVENT_TYPE, txn, messages)
        if rng.random() < 0.1:  # the same transaction again, through another process: delivered once
            ledger.resent += 1
            again = rng.choice([other for other in LABELS if other != label])
            await ctx.http.send_to_device(ctx.cluster.url(again), sender, EVENT_TYPE, txn, messages)
        await asyncio.sleep(rng.uniform(0, 0.05))


async def device_list_writer(ctx, ledger: Ledger, rng: random.Random, readers: list[Device], deadline: float) -> None:
    http = ctx.http
    extra: list[tuple[Device, bool]] = []  # devices this writer logged in, and whether they have keys
    while time.monotonic() < deadline:
        label = rng.choice(LABELS)
        url = ctx.cluster.url(label)
        choices = ["login"] + (["keys", "rename", "logout"] if extra else [])
        what = rng.choice(choices)
        began = time.monotonic()
        if what == "login":
            owner = rng.choice(readers)
            device = await http.login(url, owner.user_id)
            extra.append((device, False))
        else:
            index = rng.randrange(len(extra))
            device, has_keys = extra[index]
            if what == "keys" and not has_keys:
                await http.upload_keys(url, device, device_keys=True)
                extra[index] = (device, True)
            elif what == "logout":
                await http.call(url, "POST", "/logout", device, {})
                extra.pop(index)
            else:
                what = "rename"
                await http.call(url, "PUT", f"/devices/{device.device_id}", device,
                                {"display_name": f"renamed {secrets.token_hex(3)}"})
        ledger.changes.append(Change(device.user_id, what, label, began, time.monotonic()))
        await asyncio.sleep(rng.uniform(0, 0.2))


async def reader(ctx, ledger: Ledger, rng: random.Random, device: Device, since: str, writers_done: asyncio.Event,
                 drain_deadline: list[float]) -> None:
    """Syncs in a chain until the writers are done and everything addressed to this device has
    arrived, then once more on each process (where a late duplicate would show)."""
    records = ledger.records[device.user_id]
    quiet = 0
    while True:
        if writers_done.is_set():
            mine = [mid for mid, (user, _, _) in ledger.expected.items() if user == device.user_id]
            if all(ledger.delivered.get(mid) for mid in mine):
                quiet += 1
                if quiet > len(LABELS):
                    return
            if time.monotonic() > drain_deadline[0]:
                return
        label = LABELS[quiet - 1] if quiet else rng.choice(LABELS)
        timeout_ms = 0 if quiet else rng.choice([0, 200, 500, 1000, 1500])
        sent_at = time.monotonic()
        answer = await ctx.http.sync(ctx.cluster.url(label), device, since=since, timeout_ms=timeout_ms)
        ids = []
        for event in answer.get("to_device", {}).get("events", []):
            message_id = event.get("content", {}).get("id")
            if event.get("type") != EVENT_TYPE or message_id is None:
                ledger.foreign.append(f"{device.device_id} got {event}")
                continue
            ids.append(message_id)
            ledger.delivered[message_id].append((device.user_id, device.device_id, label))
        changed = set(answer.get("device_lists", {}).get("changed", []))
        records.append(SyncRecord(label, sent_at, time.monotonic(), ids, changed))
        since = answer["next_batch"]


def check_to_device(ledger: Ledger) -> tuple[list[str], int]:
    problems = []
    crossed = 0
    for message_id, (user, device, sent_via) in ledger.expected.items():
        got = ledger.delivered.get(message_id, [])
        if len(got) != 1:
            problems.append(f"{message_id} for {device} arrived {len(got)} times {got}")
        elif got[0][:2] != (user, device):
            problems.append(f"{message_id} for {user}/{device} arrived at {got[0][:2]}")
        elif got[0][2] != sent_via:
            crossed += 1
    for message_id, got in ledger.delivered.items():
        if message_id not in ledger.expected:
            problems.append(f"{message_id} was never sent but arrived {got}")
    return problems + ledger.foreign, crossed


def check_device_lists(ledger: Ledger, readers: list[Device], setup_done: float) -> tuple[list[str], int]:
    problems = []
    crossed = 0
    for change in ledger.changes:
        for device in readers:
            if device.user_id == change.user_id:
                continue
            records = ledger.records[device.user_id]
            # Answers whose window may hold the change: after the last answer received before the
            # change began (its next_batch predates the change), up to the first request sent after
            # it had returned (its window ends after the change).
            first = 0
            for index, record in enumerate(records):
                if record.received_at < change.began:
                    first = index + 1
            last = next((i for i, r in enumerate(records) if r.sent_at > change.ended), None)
            if last is None:
                problems.append(f"{device.user_id} made no sync after {change.what} of {change.user_id} returned")
                continue
            seen = [r for r in records[first:last + 1] if change.user_id in r.changed]
            if not seen:
                problems.append(f"{device.user_id} never saw {change.what} of {change.user_id} (through "
                                f"{change.label}, {change.began - setup_done:.2f}-{change.ended - setup_done:.2f} s) "
                                f"in device_lists.changed of answers {first}..{last}")
            elif all(r.label != change.label for r in seen):
                crossed += 1
    return problems, crossed


async def soak(ctx) -> None:
    http, cluster = ctx.http, ctx.cluster
    seconds = float(os.environ.get("KEYPORT_SCALE_SOAK_SECONDS", "30"))
    rng = random.Random(ctx.seed)
    print(f"  seed {ctx.seed}, {seconds:.0f} s of writes")
    readers = [await http.register(cluster.url(rng.choice(LABELS)), f"soak_user{n}") for n in range(USERS)]
    created = await http.call(cluster.url(rng.choice(LABELS)), "POST", "/createRoom", readers[0],
                              {"preset": "private_chat", "invite": [r.user_id for r in readers[1:]]})
    for device in readers[1:]:
        await http.call(cluster.url(rng.choice(LABELS)), "POST", f"/join/{created['room_id']}", device, {})
    senders = [await http.register(cluster.url(LABELS[n % len(LABELS)]), f"soak_sender{n}")
               for n in range(TO_DEVICE_WRITERS)]
    starts = [(await http.sync(cluster.url(rng.choice(LABELS)), device))["next_batch"] for device in readers]

    ledger = Ledger()
    setup_done = time.monotonic()
    deadline = setup_done + seconds
    drain_deadline = [deadline + DRAIN_SECONDS]
    writers_done = asyncio.Event()
    readers_tasks = [asyncio.create_task(reader(ctx, ledger, random.Random(f"{ctx.seed}-reader-{n}"), device,
                                                starts[n], writers_done, drain_deadline))
                     for n, device in enumerate(readers)]
    writers = [to_device_writer(ctx, ledger, random.Random(f"{ctx.seed}-to-device-{n}"), sender, readers, deadline,
                                f"w{n}") for n, sender in enumerate(senders)]
    writers += [device_list_writer(ctx, ledger, random.Random(f"{ctx.seed}-device-lists-{n}"), readers, deadline)
                for n in range(DEVICE_LIST_WRITERS)]
    try:
        await asyncio.gather(*writers)
        writers_done.set()
        drain_deadline[0] = time.monotonic() + DRAIN_SECONDS
        await asyncio.gather(*readers_tasks)
    finally:
        for task in readers_tasks:
            task.cancel()

    syncs = Counter(record.label for records in ledger.records.values() for record in records)
    to_device_problems, crossed_messages = check_to_device(ledger)
    change_problems, crossed_changes = check_device_lists(ledger, readers, setup_done)
    print(f"  {len(ledger.expected)} to-device messages ({ledger.resent} transactions sent twice), "
          f"{len(ledger.changes)} device-list changes ({dict(Counter(c.what for c in ledger.changes))}), "
          f"syncs on A/B/C {'/'.join(str(syncs[label]) for label in LABELS)}; "
          f"{crossed_messages} messages delivered and {crossed_changes} change sightings made only through another "
          f"process than the write")
    failures = []
    if to_device_problems:
        failures.append(f"{len(to_device_problems)} to-device problems: {to_device_problems[:6]}")
    if change_problems:
        failures.append(f"{len(change_problems)} device-list changes missed: {change_problems[:6]}")
    assert not failures, f"seed {ctx.seed}: " + "; ".join(failures)
    assert ledger.expected and ledger.changes, "the soak wrote nothing"
    assert all(syncs[label] for label in LABELS), f"not every process served syncs: {syncs}"
    assert crossed_messages and crossed_changes, "nothing was seen through another process than it was written to"
