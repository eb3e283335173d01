"""A to-device message sent through process A wakes a `/sync` long-polling on process B within 1 s.

Each trial: the recipient's sync on B is made idle (everything acknowledged), a long poll (8 s)
starts on B, and the test waits until B's own metrics count one more waiting sync — so the request
really is parked on B — before the message is sent through A. The sync must return the message
within 1 s of the send, and B must count the wait as ended by a change (`keyport_sync_wakeups_total`),
not by its timeout. Five trials must all pass, so a periodic recheck that happens to fall inside the
second does not pass the test. A control trial first sends through B itself, which shows the probe
measures a wake-up at all.
"""

import asyncio
import secrets
import time

from cluster import sample
from matrix_http import Device

TRIALS = 5
LIMIT = 1.0  # seconds from the send to the sync's answer
PATIENCE = 5.0  # how long a late answer is waited for, to report its real latency
EVENT_TYPE = "org.keyport.scale.wakeup"


async def parked_on(ctx, label: str, before: dict, task: asyncio.Task) -> None:
    """Returns once `label` counts one more waiting sync than in `before`; fails if the sync answered."""
    baseline = sample(before, "keyport_sync_waiting")
    deadline = time.monotonic() + 10
    while True:
        now = await asyncio.to_thread(ctx.cluster.metrics, label)
        if sample(now, "keyport_sync_waiting") >= baseline + 1:
            break
        assert not task.done(), f"the sync on {label} answered before it waited: {task.result()}"
        assert time.monotonic() < deadline, f"process {label} never counted the sync as waiting"
        await asyncio.sleep(0.05)
    assert not task.done(), f"the sync on {label} answered before the message was sent: {task.result()}"


async def trial(ctx, sender: Device, recipient: Device, send_via: str, sync_on: str) -> float:
    """Seconds from sending through `send_via` to the answer of the sync waiting on `sync_on`."""
    http, cluster = ctx.http, ctx.cluster
    idle = await http.sync(cluster.url(sync_on), recipient)
    idle = await http.sync(cluster.url(sync_on), recipient, since=idle["next_batch"])  # acknowledges the rest
    before = await asyncio.to_thread(cluster.metrics, sync_on)
    waiting = asyncio.create_task(http.sync(cluster.url(sync_on), recipient, since=idle["next_batch"],
                                            timeout_ms=int((PATIENCE + 3) * 1000)))
    try:
        await parked_on(ctx, sync_on, before, waiting)
        message_id = secrets.token_hex(8)
        sent = time.monotonic()
        await http.send_to_device(cluster.url(send_via), sender, EVENT_TYPE, f"wake-{message_id}",
                                  {recipient.user_id: {recipient.device_id: {"id": message_id}}})
        done, _ = await asyncio.wait({waiting}, timeout=PATIENCE)
        latency = time.monotonic() - sent
        assert done, (f"the sync long-polling on {sync_on} was still waiting {PATIENCE:.0f} s after the message "
                      f"was sent through {send_via}")
        answer = waiting.result()
    finally:
        waiting.cancel()
    events = answer.get("to_device", {}).get("events", [])
    assert [event["content"].get("id") for event in events] == [message_id], f"the sync answered {events}"
    after = await asyncio.to_thread(cluster.metrics, sync_on)
    wakeups = sample(after, "keyport_sync_wakeups_total") - sample(before, "keyport_sync_wakeups_total")
    assert wakeups >= 1, f"{sync_on} did not count the wait as woken by a change"
    return latency


async def wakeup(ctx) -> None:
    http, cluster = ctx.http, ctx.cluster
    sender = await http.register(cluster.url("A"), "wake_sender")
    recipient = await http.register(cluster.url("B"), "wake_recipient")

    control = await trial(ctx, sender, recipient, send_via="B", sync_on="B")
    print(f"  control (sent through B, sync on B): {control * 1000:.0f} ms")
    assert control < LIMIT, f"even a write on B itself took {control:.2f} s to wake B's sync"
    latencies = []
    for number in range(TRIALS):
        latency = await trial(ctx, sender, recipient, send_via="A", sync_on="B")
        latencies.append(latency)
        assert latency < LIMIT, f"trial {number + 1}: B's sync answered {latency:.2f} s after the send through A"
    print(f"  sent through A, sync on B: {', '.join(f'{latency * 1000:.0f}' for latency in latencies)} ms")
