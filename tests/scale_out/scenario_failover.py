"""`kill -9` of one process during a burst loses nothing: its destinations are taken over when its
leases expire, and every queued EDU reaches a federated Synapse exactly once.

A real Synapse federates with the three-process Keyport over TLS on loopback; a matrix-nio client
on Synapse receives to-device messages that Keyport users send through all three processes, each
with a unique id and each its own `m.direct_to_device` EDU.

1. Warm-up: one message through each process arrives (the federation path works).
2. Synapse stops and a stand-in on its port answers every request with 503 at once (against a
   closed port each of Keyport's attempts waits out its ~10 s connect timeout, which would hide who
   retries); a first burst is sent through A, B and C.
3. The processes whose metrics count failed transactions to Synapse in the next seconds are the
   ones holding its queue; the shared queue must hold EDUs for Synapse (so the process about to be
   killed had queued EDUs to deliver), and with per-destination leases exactly one process may be
   sending to it.
4. That process is killed with SIGKILL; a second burst goes through the survivors; a survivor must
   start sending to Synapse within the lease time plus 10 s (the takeover).
5. The stand-in goes and Synapse starts again. Every message must reach the nio client exactly
   once (more syncs follow to catch late duplicates). Synapse drops a repeated `message_id`
   silently, so the client alone would not notice a destination drained by two processes at once:
   Synapse's log must also show every EDU in exactly one transaction it processed (a transaction
   it refused with 429 because another from us was in progress does not count), and its
   `device_federation_inbox` one row per EDU.
"""

import asyncio
import os
import re
import secrets
import sqlite3
import ssl
import time
from collections import Counter

from aiohttp import web
from nio import UnknownToDeviceEvent

from cluster import LABELS, sample
from federation_synapse import Clients, Homeserver, sync
from metrics_scrape import delta

EVENT_TYPE = "org.keyport.scale.failover"
BURST = 30  # messages per process in each burst
RECEIVED_TXN = re.compile(r"Received txn (\S+) from (\S+)\. \(PDUs: (\d+), EDUs: (\d+)\)")
# Logged after the line above when Synapse answers 429 without processing the transaction.
CONCURRENT_TXN = re.compile(r"Received another txn (\S+) from (\S+) while still processing")


class Unavailable:
    """An https server on Synapse's port while Synapse is down: 503 to everything, counted."""

    def __init__(self, port: int, cert: str, key: str):
        self.port = port
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.requests = 0
        self.runner: web.AppRunner | None = None

    async def handle(self, _request: web.Request) -> web.Response:
        self.requests += 1
        return web.json_response({"errcode": "M_UNKNOWN", "error": "down for the test"}, status=503)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port, ssl_context=self.context).start()

    async def stop(self) -> None:
        if self.runner:
            await self.runner.cleanup()
            self.runner = None


class Tally:
    """What the nio client on Synapse received, by message id."""

    def __init__(self):
        self.received: Counter[str] = Counter()

    async def sync(self, client, timeout_ms: int) -> None:
        response = await sync(client, timeout=timeout_ms)
        for event in response.to_device_events:
            if isinstance(event, UnknownToDeviceEvent) and event.type == EVENT_TYPE:
                self.received[event.source["content"]["id"]] += 1

    async def until(self, client, ids: list[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not all(self.received[i] for i in ids):
            missing = [i for i in ids if not self.received[i]]
            assert time.monotonic() < deadline, f"{len(missing)} of {len(ids)} messages never arrived: {missing[:5]}"
            await self.sync(client, 2000)


async def failover(ctx) -> None:
    synapse = await ctx.synapse()
    clients = Clients(ctx.root)
    try:
        recipient = await clients.new(Homeserver("synapse", synapse.url, synapse.server_name), "scale_recipient")
        await run(ctx, synapse, recipient)
    finally:
        await clients.close()


def failed_sends(ctx, destination: str) -> dict[str, float]:
    return {label: sample(ctx.cluster.metrics(label), "keyport_federation_transactions_total",
                          destination=destination, result="failed") for label in LABELS}


class Messages:
    """To-device messages from one Keyport user per process to the nio client, by unique id."""

    def __init__(self, ctx, senders: dict, recipient):
        self.ctx, self.senders, self.recipient = ctx, senders, recipient
        self.sent: list[str] = []

    async def send(self, label: str, count: int) -> None:
        for _ in range(count):
            message_id = f"{label}-{secrets.token_hex(6)}"
            self.sent.append(message_id)
            await self.ctx.http.send_to_device(
                self.ctx.cluster.url(label), self.senders[label], EVENT_TYPE, message_id,
                {self.recipient.user_id: {self.recipient.device_id: {"id": message_id}}})

    async def burst(self, labels: list[str]) -> None:
        await asyncio.gather(*(self.send(label, BURST) for label in labels))


async def run(ctx, synapse, recipient) -> None:
    http, cluster, destination = ctx.http, ctx.cluster, synapse.server_name
    senders = {label: await http.register(cluster.url(label), f"failover_{label.lower()}") for label in LABELS}
    messages = Messages(ctx, senders, recipient)
    tally = Tally()
    before = {label: await asyncio.to_thread(cluster.metrics, label) for label in LABELS}
    await asyncio.gather(*(messages.send(label, 1) for label in LABELS))
    await tally.until(recipient, list(messages.sent), 60)
    print(f"  warm-up: 3 messages through A, B and C arrived at {destination}")

    await asyncio.to_thread(synapse.stop)
    unavailable = Unavailable(synapse.tls_port, ctx.cert, ctx.key)
    await unavailable.start()
    try:
        problems, survivors = await outage(ctx, destination, messages)
    finally:
        await unavailable.stop()
    print(f"  the stand-in answered {unavailable.requests} requests with 503 while {destination} was down")

    await asyncio.to_thread(synapse.start)
    back = time.monotonic()
    sent = messages.sent
    await tally.until(recipient, sent, 60)
    print(f"  all {len(sent)} messages arrived {time.monotonic() - back:.1f} s after {destination} was back")
    for _ in range(3):  # a late duplicate would show up here
        await tally.sync(recipient, 1500)
    twice = {i: n for i, n in tally.received.items() if n != 1}
    assert not twice, f"messages not received exactly once: {twice}"
    assert set(tally.received) == set(sent), f"unexpected messages: {set(tally.received) - set(sent)}"
    problems += synapse_side(synapse, cluster.server_name, len(sent))
    sent_by = {label: delta(before[label], await asyncio.to_thread(cluster.metrics, label),
                            "keyport_federation_transactions_total", destination=destination, result="sent")
               for label in survivors}
    print(f"  transactions to {destination} answered 200, by survivor: {sent_by}")
    assert not problems, "; ".join(problems)


async def outage(ctx, destination: str, messages: Messages) -> tuple[list[str], list[str]]:
    """Bursts while the destination is down and a kill of the process sending to it; returns the
    problems found and the surviving processes."""
    cluster = ctx.cluster
    await messages.burst(list(LABELS))
    first = await asyncio.to_thread(failed_sends, ctx, destination)
    await asyncio.sleep(4)  # retries are 1-2 s apart: whoever holds the destination fails again meanwhile
    second = await asyncio.to_thread(failed_sends, ctx, destination)
    holders = [label for label in LABELS if second[label] > first[label]]
    queued = sample(await asyncio.to_thread(cluster.metrics, "A"), "keyport_federation_queued_edus",
                    destination=destination)
    assert holders, f"no process tried to send to {destination} while it was down: {second}"
    assert queued > 0, f"nothing queued for {destination} while it was down"
    problems = []
    if len(holders) != 1:
        problems.append(f"processes {holders} all sent to {destination} at once (no lease keeps it to one)")
    victim = next((label for label in holders if label != "A"), holders[0])
    survivors = [label for label in LABELS if label != victim]

    at_kill = await asyncio.to_thread(failed_sends, ctx, destination)
    burst = asyncio.ensure_future(messages.burst(survivors))
    await asyncio.sleep(0.2)  # the second burst is under way
    cluster.processes[victim].kill()
    killed = time.monotonic()
    print(f"  killed {victim} (sending to {destination}: {', '.join(holders)}) during the second burst, "
          f"with {queued:g} EDUs queued for {destination}")
    takeover = None
    while takeover is None and time.monotonic() < killed + cluster.lease_seconds + 10:
        await asyncio.sleep(0.25)
        now = await asyncio.to_thread(failed_sends, ctx, destination)
        if any(now[label] > at_kill[label] for label in survivors):
            takeover = time.monotonic() - killed
    await burst
    assert takeover is not None, (f"no survivor tried {destination} within {cluster.lease_seconds + 10} s of the "
                                  f"kill (lease {cluster.lease_seconds} s)")
    print(f"  a survivor was sending to {destination} {takeover:.1f} s after the kill")
    return problems, survivors


def synapse_side(synapse, origin: str, expected: int) -> list[str]:
    """Synapse's own record: EDUs in the transactions it processed (its log: every received
    transaction, less those it refused with 429 because another from us was in progress) and
    to-device EDUs stored (its database)."""
    problems = []
    log = synapse.log_tail(10**8)
    received = [(txn, int(edus)) for txn, sender, _, edus in RECEIVED_TXN.findall(log) if sender == origin]
    refused = Counter(txn for txn, sender in CONCURRENT_TXN.findall(log) if sender == origin)
    processed = []
    for txn, edus in received:
        if refused[txn]:
            refused[txn] -= 1
        else:
            processed.append((txn, edus))
    edus = sum(count for _, count in processed)
    print(f"  synapse processed {len(processed)} transactions from {origin} carrying {edus} EDUs "
          f"(and refused {len(received) - len(processed)} sent while another was in progress)")
    if edus != expected:
        problems.append(f"synapse processed {edus} EDUs for {expected} messages (sent more than once)")
    reused = [txn for txn, n in Counter(txn for txn, _ in processed).items() if n > 1]
    if reused:
        problems.append(f"transaction ids used twice: {reused}")
    with sqlite3.connect(f"file:{os.path.join(synapse.workdir, 'homeserver.db')}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT COUNT(*) FROM device_federation_inbox WHERE origin = ?", (origin,)).fetchone()[0]
    if rows != expected:
        problems.append(f"synapse's device_federation_inbox holds {rows} EDUs from us, expected {expected}")
    return problems
