#!/usr/bin/env python3
"""A real application service framework against Keyport: mautrix-python 0.21.1's
`mautrix.appservice.AppService` (its aiohttp transaction server, its IntentAPI, its state store) is
registered with one Keyport through a registration file of the shape mautrix bridges use (an
exclusive `@bridge_.*` user namespace, `receive_ephemeral`), with
`experimental_features.msc2409_to_device_messages_enabled`. A Keyport user is a plain HTTP client.
Every request Keyport makes to the service is recorded on the way into mautrix's own aiohttp
application (a middleware given through `AppService(aiohttp_params=...)`); mautrix handles it.

What passing proves:
(1) transactions_reach_mautrix: mautrix's `ping_self` reaches Keyport's ping and Keyport's ping
    reaches mautrix's `/_matrix/app/v1/ping` with the transaction ID; mautrix's
    `intent.ensure_registered()` registers a bridged user (`m.login.application_service`), which
    Keyport then refuses to register again (`M_USER_IN_USE`); a Keyport user invites the bridged user,
    and the invite arrives in a transaction (`PUT /_matrix/app/v1/transactions/{txnId}` with
    `Authorization: Bearer <hs_token>`) and through mautrix's event dispatch; the bridged user joins
    through the IntentAPI (`?user_id=`); a text message from the Keyport user reaches the handler
    registered with `AppService.matrix_event_handler`, the same event ID, sender, room and body,
    within 5 s;
(2) identity_assertion_from_mautrix: `whoami` through the bridged user's intent names the bridged
    user (and through the bot's intent the registration's sender); the intent reads the room's
    state as the bridged user (`get_state`, which fills mautrix's state store); a reply sent with
    `intent.send_text` (which reads the room's power levels as the bridged user first) shows in the
    Keyport user's `/sync` with `sender` the bridged user, and comes back to mautrix in a
    transaction;
(3) redelivery_after_downtime: with mautrix's web server stopped (`AppService.stop()`) nothing
    reaches it; after 3 messages and `AppService.start()` on the same port, all 3 reach the handler
    within 60 s, in the order sent, each once, and the transactions carry them in that order;
(4) lost_acknowledgement_resent_unchanged: mautrix handles a transaction but its 200 is replaced by
    a 500 on the way back (an acknowledgement lost); Keyport sends the same transaction ID with the
    same bytes again after its first backoff (2 s), mautrix answers it from its own record of
    handled transaction IDs, its handler sees the event once, and the next message comes in a
    transaction with a new ID;
(4b) keyport_killed_while_pending: with mautrix stopped, 2 messages are sent and Keyport stores
    the transaction carrying them and is refused; Keyport is then killed (SIGKILL) and started
    again, mautrix comes back, and both messages reach the handler once, in order: the pending
    transaction survives `kill -9` in the store (the restarted process waits out the dead one's
    30 s lease first);
(5) to_device_msc2409: mautrix's `Client.get_login_flows` lists `m.login.application_service`;
    a mautrix `Client` holding the `as_token` logs the bridged user in on a device of its choosing
    (as mautrix bridges log in their bot for encryption); a to-device message the Keyport user sends
    to that device arrives in a transaction under `de.sorunome.msc2409.to_device` (mautrix reads
    `to_device` first, then that key, when made with `encryption_events=True`) and reaches
    mautrix's `to_device_handler` with its sender, type, recipient user and device, and content;
    having been acknowledged, it is no longer in the device's `/sync`;
(6) state_event_format_event: a bridged user joins a room through the IntentAPI and sends into it
    with `intent.send_text` while mautrix's state store lacks the room's create event, as a bridge
    does in a room a Matrix user made; the intent reads the create event with
    `GET /rooms/{roomId}/state/m.room.create/?format=event` (the spec's `format` parameter, which
    Synapse 1.163 serves), which must answer with the whole event (type, state_key, sender,
    room_id, event_id, content), and the message reaches the room and comes back to mautrix;
(7) each_transaction_delivered_once, over every request the run recorded: every transaction came
    to `/_matrix/app/v1/transactions/` with the hs_token; a transaction ID seen more than once
    came with the same bytes each time; no event ID and no to-device message was carried by two
    transaction IDs; every event carried reached mautrix's handler exactly once.

Usage: mautrix_appservice.py PATH_TO_KEYPORT_BINARY   (with a Python that has mautrix==0.21.1 and
the other interop packages; scripts/appservice_interop.sh sets that up)
"""

import asyncio
import json
import logging
import os
import re
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import aiohttp
from aiohttp import web
from mautrix.api import Method, Path
from mautrix.appservice import AppService
from mautrix.appservice.state_store import ASStateStore
from mautrix.client import Client
from mautrix.client.state_store import MemoryStateStore
from mautrix.errors import MatrixResponseError
from mautrix.types import ASToDeviceEvent, Event, EventType, LoginType, Membership

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))

from federating_keyport import FederatingKeyport, free_port  # noqa: E402
from run import Api, User, register  # noqa: E402
from scenario_run import run_scenarios  # noqa: E402
from synapse_server import make_certificate  # noqa: E402

SERVICE_ID = "mautrix-interop"
TRANSACTIONS = "/_matrix/app/v1/transactions/"
FEATURES = {"msc2409_to_device_messages_enabled": True}
BRIDGED_DEVICE = "MAUTRIXDEV"
FIRST_BACKOFF = 2.0  # seconds: Keyport's first wait after a failed transaction (Synapse's)


class MemoryASStateStore(MemoryStateStore, ASStateStore):
    """mautrix's in-memory client state store with the appservice's registered-user record (its
    default is a JSON file in the working directory)."""

    def __init__(self) -> None:
        MemoryStateStore.__init__(self)
        ASStateStore.__init__(self)


@dataclass
class Recorded:
    """One request Keyport made to the service, as it reached mautrix's aiohttp application."""

    method: str
    path: str
    authorization: str | None
    raw: bytes
    body: object
    at: float
    mautrix_status: int = 0  # what mautrix answered
    status: int = 0  # what Keyport got (differs when an acknowledgement is dropped)

    @property
    def txn_id(self) -> str:
        return self.path.removeprefix(TRANSACTIONS)

    def event_ids(self) -> list[str]:
        return [event["event_id"] for event in (self.body or {}).get("events", [])]


class Recorder:
    """An aiohttp middleware in front of mautrix's handlers: records each request, and can turn
    mautrix's 200 for one transaction into a 500 (the service handled it, Keyport never heard)."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.lose_ack_for_body: str | None = None
        self.lost: list[str] = []

        @web.middleware
        async def middleware(request: web.Request, handler: Callable) -> web.StreamResponse:
            raw = await request.read()  # aiohttp keeps it, so mautrix reads the same bytes
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            recorded = Recorded(request.method, request.path, request.headers.get("Authorization"), raw, body,
                                time.monotonic())
            self.requests.append(recorded)
            try:
                response = await handler(request)
            except web.HTTPException as answer:  # mautrix raises its answers to repeated transactions
                recorded.mautrix_status = recorded.status = answer.status
                raise
            recorded.mautrix_status = recorded.status = response.status
            if (response.status == 200 and self.lose_ack_for_body is not None and recorded.path.startswith(TRANSACTIONS)
                    and recorded.txn_id not in self.lost and self._carries_body(body, self.lose_ack_for_body)):
                self.lost.append(recorded.txn_id)
                recorded.status = 500
                return web.json_response({"errcode": "M_UNKNOWN", "error": "acknowledgement dropped by the test"},
                                         status=500)
            return response

        self.middleware = middleware

    @staticmethod
    def _carries_body(body: object, text: str) -> bool:
        return isinstance(body, dict) and any(
            (event.get("content") or {}).get("body") == text for event in body.get("events", []))

    def transactions(self) -> list[Recorded]:
        """Requests to either of mautrix's transaction routes (the legacy one should see none)."""
        return [request for request in self.requests if request.method == "PUT"
                and (request.path.startswith(TRANSACTIONS) or request.path.startswith("/transactions/"))]


class Environment:
    def __init__(self, binary: str, root: str, session: aiohttp.ClientSession):
        self.root = root
        cert, key = make_certificate(root)
        registration = os.path.join(root, "mautrix-registration.yaml")
        self.keyport = FederatingKeyport(binary, os.path.join(root, "keyport"), cert, key,
                                         app_service_config_files=[registration], experimental_features=FEATURES)
        self.server_name = self.keyport.server_name
        self.port = free_port()
        self.as_token = f"as-{secrets.token_hex(16)}"
        self.hs_token = f"hs-{secrets.token_hex(16)}"
        self.user_regex = f"@bridge_.*:{re.escape(self.server_name)}"
        with open(registration, "w") as handle:
            handle.write("\n".join([
                f"id: {SERVICE_ID}",
                f"url: 'http://127.0.0.1:{self.port}'",
                f"as_token: '{self.as_token}'",
                f"hs_token: '{self.hs_token}'",
                "sender_localpart: bridge_bot",
                "rate_limited: false",
                "namespaces:",
                "  users:",
                f"    - regex: '{self.user_regex}'",
                "      exclusive: true",
                "  aliases: []",
                "  rooms: []",
                "receive_ephemeral: true",
                "de.sorunome.msc2409.push_ephemeral: true",
                "",
            ]))
        self.session = session
        self.api = Api(session, "keyport", self.keyport.url)
        self.recorder = Recorder()
        self.mautrix_log = os.path.join(root, "mautrix.log")
        log = logging.getLogger("mautrix-interop")
        log.setLevel(logging.DEBUG)
        log.propagate = False
        log_file = logging.FileHandler(self.mautrix_log)
        log_file.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        log.addHandler(log_file)
        self.appservice = AppService(
            server=self.keyport.url, domain=self.server_name, as_token=self.as_token, hs_token=self.hs_token,
            bot_localpart="bridge_bot", id=SERVICE_ID, log=log, state_store=MemoryASStateStore(),
            aiohttp_params={"middlewares": [self.recorder.middleware]},
            ephemeral_events=True, encryption_events=True)
        # What mautrix dispatched, in the order it dispatched it.
        self.events: list[Event] = []
        self.to_device: list[ASToDeviceEvent] = []
        self.appservice.matrix_event_handler(self._on_event)
        self.appservice.to_device_handler = self._on_to_device
        # Shared by the scenarios, in order.
        self.alice: User | None = None
        self.bridged_id = f"@bridge_x:{self.server_name}"
        self.room_id = ""
        self.appservice_up = False

    async def _on_event(self, event: Event) -> None:
        self.events.append(event)

    async def _on_to_device(self, event: ASToDeviceEvent) -> None:
        self.to_device.append(event)

    async def start(self) -> None:
        await self.start_appservice()
        await asyncio.to_thread(self.keyport.start)

    async def stop(self) -> None:
        await asyncio.to_thread(self.keyport.stop)
        await self.stop_appservice()

    async def start_appservice(self) -> None:
        """mautrix's web server on the registration's port (again after a stop: the same app)."""
        await self.appservice.start(host="127.0.0.1", port=self.port)
        self.appservice_up = True

    async def stop_appservice(self) -> None:
        if self.appservice_up:
            await self.appservice.stop()
            self.appservice_up = False

    def handled(self, event_id: str) -> list[Event]:
        return [event for event in self.events if event.event_id == event_id]

    def dump_logs(self) -> None:
        print("--- requests to mautrix (method path -> mautrix's status / Keyport's status: body) ---")
        for request in self.recorder.requests:
            print(f"  {request.method} {request.path} -> {request.mautrix_status}/{request.status} "
                  f"auth_ok={request.authorization == f'Bearer {self.hs_token}'}: {request.raw[:600]!r}")
        print(f"--- mautrix log ({self.mautrix_log}) ---")
        try:
            with open(self.mautrix_log, errors="replace") as handle:
                print(handle.read()[-6000:])
        except OSError as error:
            print(f"(no log: {error})")
        print(f"--- keyport log ({self.keyport.log_path}) ---")
        print(self.keyport.log_tail())


async def wait_until(what: str, condition: Callable[[], object], deadline: float) -> float:
    """Polls `condition` until it is true; the seconds it took. Fails after `deadline` seconds."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > deadline:
            raise AssertionError(f"{what}: not within {deadline:.0f} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def send_text(env: Environment, user: User, body: str) -> str:
    txn = secrets.token_hex(8)
    answer = await env.api.ok("PUT", f"/_matrix/client/v3/rooms/{quote(env.room_id)}/send/m.room.message/{txn}",
                              user.token, {"msgtype": "m.text", "body": body})
    return answer["event_id"]


def assert_handled_message(env: Environment, event_id: str, sender: str, body: str,
                           room_id: str | None = None) -> None:
    room_id = room_id or env.room_id
    handled = env.handled(event_id)
    assert len(handled) == 1, f"mautrix's handler saw {event_id} {len(handled)} times"
    event = handled[0]
    assert event.type == EventType.ROOM_MESSAGE, f"{event_id} reached mautrix as {event.type}"
    assert (event.sender, event.room_id, event.content.body, str(event.content.msgtype)) == (
        sender, room_id, body, "m.text"), (
        f"{event_id} reached mautrix as sender {event.sender} room {event.room_id} body {event.content.body!r} "
        f"msgtype {event.content.msgtype}, expected {sender} {room_id} {body!r} m.text")


async def transactions_reach_mautrix(env: Environment) -> None:
    # The ping both ways: mautrix asks Keyport, Keyport asks mautrix's /_matrix/app/v1/ping.
    since = len(env.recorder.requests)
    answer = await env.appservice.intent.api.request(
        Method.POST, Path.v1.appservice[SERVICE_ID].ping, content={"transaction_id": "mautrix-ping-1"})
    assert isinstance(answer.get("duration_ms"), int), f"the ping answered {answer}"
    pings = [(r.method, r.path, r.body, r.status) for r in env.recorder.requests[since:]]
    assert pings == [("POST", "/_matrix/app/v1/ping", {"transaction_id": "mautrix-ping-1"}, 200)], (
        f"mautrix should have been pinged once with the transaction ID, it got {pings}")

    env.alice = alice = await register(env.api, "k_alice")
    bridged = env.appservice.intent.user(env.bridged_id)
    await bridged.ensure_registered()
    assert await env.appservice.state_store.is_registered(env.bridged_id), "mautrix did not record the registration"
    status, answer = await env.api.call("POST", "/_matrix/client/v3/register", env.as_token, {
        "type": "m.login.application_service", "username": "bridge_x", "inhibit_login": True})
    assert status == 400 and answer.get("errcode") == "M_USER_IN_USE", (
        f"after mautrix's ensure_registered, registering bridge_x again answered {status} {answer}")

    created = await env.api.ok("POST", "/_matrix/client/v3/createRoom", alice.token,
                               {"preset": "private_chat", "name": "mautrix interop"})
    env.room_id = created["room_id"]
    await env.api.ok("POST", f"/_matrix/client/v3/rooms/{quote(env.room_id)}/invite", alice.token,
                     {"user_id": env.bridged_id})

    def membership(of: str, kind: Membership) -> list[Event]:
        return [event for event in env.events if event.type == EventType.ROOM_MEMBER and event.room_id == env.room_id
                and event.state_key == env.bridged_id and event.content.membership == kind and event.sender == of]

    took = await wait_until("the invite reaching mautrix's handler",
                            lambda: membership(alice.user_id, Membership.INVITE), 5)
    print(f"  invite in mautrix after {took:.2f} s")
    assert await bridged.ensure_joined(env.room_id), "mautrix's ensure_joined said the bridged user was already in"
    took = await wait_until("the bridged user's join reaching mautrix",
                            lambda: membership(env.bridged_id, Membership.JOIN), 5)
    print(f"  join in mautrix after {took:.2f} s")

    body = "hello, bridge"
    event_id = await send_text(env, alice, body)
    took = await wait_until(f"the message {event_id} reaching mautrix's handler", lambda: env.handled(event_id), 5)
    print(f"  message in mautrix after {took:.2f} s")
    assert_handled_message(env, event_id, alice.user_id, body)
    carrying = [r for r in env.recorder.transactions() if event_id in r.event_ids()]
    assert carrying, f"no recorded transaction carried {event_id}"
    for request in carrying:
        assert request.path.startswith(TRANSACTIONS), f"the transaction came to {request.path}"
        assert request.authorization == f"Bearer {env.hs_token}", (
            f"the transaction had Authorization {request.authorization!r}")


async def identity_assertion_from_mautrix(env: Environment) -> None:
    alice = env.alice
    bridged = env.appservice.intent.user(env.bridged_id)
    whoami = await bridged.whoami()
    assert whoami.user_id == env.bridged_id, f"whoami through the bridged user's intent answered {whoami}"
    bot = await env.appservice.intent.whoami()
    assert bot.user_id == f"@bridge_bot:{env.server_name}", f"whoami through the bot's intent answered {bot}"

    # Before sending, mautrix's intent checks the sender's power level with the room's create
    # event, which it reads with `GET .../state/m.room.create/?format=event` unless its state store
    # has it. Keyport answers that with the content only (see state_event_format_event), so the
    # intent first loads the room's state (`GET .../state`, full events), as a bridge that has seen
    # the room's state would have it.
    state = await bridged.get_state(env.room_id)
    assert any(event.type == EventType.ROOM_CREATE for event in state), f"the room's state lacks m.room.create: {state}"
    assert await env.appservice.state_store.has_create_cached(env.room_id), "mautrix did not cache m.room.create"

    since = (await env.api.ok("GET", "/_matrix/client/v3/sync?timeout=0", alice.token))["next_batch"]
    body = "reply from mautrix"
    reply_id = await bridged.send_text(env.room_id, body)
    seen: dict | None = None
    started = time.monotonic()
    while seen is None:
        assert time.monotonic() - started < 10, f"{reply_id} not in the Keyport user's /sync within 10 s"
        sync = await env.api.ok("GET", f"/_matrix/client/v3/sync?timeout=1000&since={quote(since)}", alice.token)
        since = sync["next_batch"]
        timeline = sync.get("rooms", {}).get("join", {}).get(env.room_id, {}).get("timeline", {}).get("events", [])
        seen = next((event for event in timeline if event.get("event_id") == reply_id), None)
    assert seen["sender"] == env.bridged_id, f"the reply's sender in /sync is {seen['sender']}, not {env.bridged_id}"
    assert seen["content"].get("body") == body, f"the reply's content in /sync is {seen['content']}"
    await wait_until(f"mautrix's own reply {reply_id} coming back in a transaction", lambda: env.handled(reply_id), 5)
    assert_handled_message(env, reply_id, env.bridged_id, body)


async def assert_port_refuses(port: int) -> None:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except ConnectionRefusedError:
        return
    writer.close()
    raise AssertionError(f"mautrix's port {port} still accepts connections after AppService.stop()")


async def redelivery_after_downtime(env: Environment) -> None:
    await env.stop_appservice()
    await assert_port_refuses(env.port)
    since = len(env.recorder.requests)
    bodies = [f"sent while the bridge is down, {n}" for n in (1, 2, 3)]
    event_ids = [await send_text(env, env.alice, body) for body in bodies]
    await asyncio.sleep(1.0)  # Keyport tries at once, is refused and backs off
    assert len(env.recorder.requests) == since, "the stopped service received requests"

    restarted = time.monotonic()
    await env.start_appservice()
    took = await wait_until("the 3 messages sent during the downtime reaching mautrix",
                            lambda: all(env.handled(event_id) for event_id in event_ids), 60)
    print(f"  3 messages in mautrix {took:.2f} s after the restart")
    await asyncio.sleep(0.5)  # a duplicate would come now
    for event_id, body in zip(event_ids, bodies):
        assert_handled_message(env, event_id, env.alice.user_id, body)
    order = [event.event_id for event in env.events if event.event_id in event_ids]
    assert order == event_ids, f"mautrix's handler saw them in the order {order}, sent as {event_ids}"
    carried: list[str] = []
    seen_txns: set[str] = set()
    for request in env.recorder.transactions():
        if request.at >= restarted and request.txn_id not in seen_txns:
            seen_txns.add(request.txn_id)
            carried += [event_id for event_id in request.event_ids() if event_id in event_ids]
    assert carried == event_ids, f"the transactions after the restart carried {carried}, expected {event_ids}"


async def keyport_killed_while_pending(env: Environment) -> None:
    """Keyport is killed (SIGKILL) while a transaction for the stopped bridge is pending: the
    restarted Keyport sends it from the store, and the bridge gets every message once, in order."""
    await env.stop_appservice()
    await assert_port_refuses(env.port)
    bodies = [f"sent before keyport was killed, {n}" for n in (1, 2)]
    event_ids = [await send_text(env, env.alice, body) for body in bodies]
    await asyncio.sleep(1.0)  # Keyport stores the transaction, is refused and backs off
    env.keyport.kill()
    await asyncio.to_thread(env.keyport.start)
    restarted = time.monotonic()
    await env.start_appservice()
    took = await wait_until("the 2 messages sent before the kill reaching mautrix",
                            lambda: all(env.handled(event_id) for event_id in event_ids), 60)
    print(f"  2 messages in mautrix {took:.2f} s after keyport and the bridge came back")
    await asyncio.sleep(0.5)  # a duplicate would come now
    for event_id, body in zip(event_ids, bodies):
        assert_handled_message(env, event_id, env.alice.user_id, body)
    order = [event.event_id for event in env.events if event.event_id in event_ids]
    assert order == event_ids, f"mautrix's handler saw them in the order {order}, sent as {event_ids}"
    after = [request for request in env.recorder.transactions() if request.at >= restarted]
    assert after, "no transaction reached the bridge after the restart"


async def lost_acknowledgement_resent_unchanged(env: Environment) -> None:
    body = "its acknowledgement is lost"
    env.recorder.lose_ack_for_body = body
    try:
        event_id = await send_text(env, env.alice, body)

        def attempts() -> list[Recorded]:
            if not env.recorder.lost:
                return []
            return [r for r in env.recorder.transactions() if r.txn_id == env.recorder.lost[0]]

        took = await wait_until("the transaction whose acknowledgement was lost being sent again and answered",
                                lambda: len(attempts()) >= 2 and attempts()[-1].status == 200, 30)
        print(f"  resent and acknowledged {took:.2f} s after the message")
    finally:
        env.recorder.lose_ack_for_body = None
    first, second, *more = attempts()
    assert not more, f"the transaction was sent {2 + len(more)} times, expected twice"
    assert event_id in first.event_ids(), f"the transaction whose answer was dropped carried {first.event_ids()}"
    assert (first.mautrix_status, first.status, second.mautrix_status, second.status) == (200, 500, 200, 200), (
        f"statuses (mautrix's/Keyport's): first attempt {first.mautrix_status}/{first.status}, "
        f"second {second.mautrix_status}/{second.status}")
    assert second.raw == first.raw, f"the resent transaction differs:\n{first.raw!r}\n{second.raw!r}"
    gap = second.at - first.at
    assert FIRST_BACKOFF - 0.2 <= gap <= FIRST_BACKOFF + 2.0, f"the resend came {gap:.2f} s after the failure"
    print(f"  same ID and bytes again after {gap:.2f} s")
    await asyncio.sleep(0.3)
    assert_handled_message(env, event_id, env.alice.user_id, body)

    after = "after the lost acknowledgement"
    next_id = await send_text(env, env.alice, after)
    await wait_until(f"{next_id} reaching mautrix", lambda: env.handled(next_id), 10)
    assert_handled_message(env, next_id, env.alice.user_id, after)
    next_txns = {r.txn_id for r in env.recorder.transactions() if next_id in r.event_ids()}
    assert len(next_txns) == 1 and first.txn_id not in next_txns, (
        f"the next message came in {next_txns}, the lost one was {first.txn_id}")


async def to_device_msc2409(env: Environment) -> None:
    client = Client(mxid=env.bridged_id, base_url=env.keyport.url, client_session=env.session)
    flows = await client.get_login_flows()
    assert flows.supports_type(LoginType.APPSERVICE), f"login flows {flows} lack m.login.application_service"
    client.api.token = env.as_token
    login = await client.login(login_type=LoginType.APPSERVICE, device_id=BRIDGED_DEVICE,
                               device_name="mautrix interop", store_access_token=True)
    assert (login.user_id, login.device_id) == (env.bridged_id, BRIDGED_DEVICE), f"the login answered {login}"
    whoami = await client.whoami()
    assert (whoami.user_id, whoami.device_id) == (env.bridged_id, BRIDGED_DEVICE), f"whoami answered {whoami}"

    marker = secrets.token_hex(8)
    content = {"marker": marker, "text": "to the bridged device"}
    before = env.recorder.transactions()
    await env.api.ok("PUT", f"/_matrix/client/v3/sendToDevice/org.example.interop/{secrets.token_hex(8)}",
                     env.alice.token, {"messages": {env.bridged_id: {BRIDGED_DEVICE: content}}})
    took = await wait_until("the to-device message reaching mautrix's to_device_handler",
                            lambda: [m for m in env.to_device if m.content.get("marker") == marker], 5)
    print(f"  to-device message in mautrix after {took:.2f} s")
    got = [m for m in env.to_device if m.content.get("marker") == marker]
    assert len(got) == 1, f"mautrix's to_device_handler saw the message {len(got)} times"
    message = got[0]
    got_fields = (message.sender, str(message.type), message.to_user_id, message.to_device_id,
                  message.content.serialize())
    assert got_fields == (env.alice.user_id, "org.example.interop", env.bridged_id, BRIDGED_DEVICE, content), (
        f"mautrix got {message.serialize()}")
    carrying = [r for r in env.recorder.transactions()[len(before):]
                if any((m.get("content") or {}).get("marker") == marker
                        for m in (r.body or {}).get("de.sorunome.msc2409.to_device", []))]
    assert carrying, "no transaction carried the message under de.sorunome.msc2409.to_device"
    assert "to_device" not in carrying[0].body, f"the transaction also has a stable to_device: {carrying[0].body}"

    started = time.monotonic()
    while True:  # acknowledged by the service, so gone from the exclusive user's inbox
        sync = await client.sync(timeout=0)
        left = [m for m in sync.get("to_device", {}).get("events", []) if m.get("content", {}).get("marker") == marker]
        if not left:
            break
        assert time.monotonic() - started < 5, f"the delivered message is still in the device's /sync: {left}"
        await asyncio.sleep(0.2)


async def state_event_format_event(env: Environment) -> None:
    """A bridged user sends into a room whose state mautrix has not loaded, as a bridge does."""
    alice = env.alice
    bridged_id = f"@bridge_y:{env.server_name}"
    created = await env.api.ok("POST", "/_matrix/client/v3/createRoom", alice.token,
                               {"preset": "private_chat", "name": "not loaded by mautrix", "invite": [bridged_id]})
    room_id = created["room_id"]
    path = f"/_matrix/client/v3/rooms/{quote(room_id)}/state/m.room.create/?format=event"
    whole = {"type": "m.room.create", "state_key": "", "sender": alice.user_id, "room_id": room_id}

    bridged = env.appservice.intent.user(bridged_id)
    assert await bridged.ensure_joined(room_id), "mautrix's ensure_joined said bridge_y was already in"
    body = "first words in a room mautrix has not loaded"
    try:
        event_id = await bridged.send_text(room_id, body)
    except MatrixResponseError as error:
        answer = await env.api.ok("GET", path, alice.token)
        raise AssertionError(
            f"mautrix's send_text as {bridged_id} failed ({error}): before sending it reads the create event "
            f"with GET {path}, which Keyport answered {answer}; expected the whole event "
            f"({whole}, event_id, content), as Synapse answers format=event") from error
    await wait_until(f"{event_id} coming back to mautrix", lambda: env.handled(event_id), 5)
    assert_handled_message(env, event_id, bridged_id, body, room_id)

    answer = await env.api.ok("GET", path, alice.token)
    assert {key: answer.get(key) for key in whole} == whole and str(answer.get("event_id")).startswith("$") \
        and isinstance(answer.get("content"), dict), (
            f"GET {path} answered {answer}, expected the whole create event ({whole}, event_id, content)")
    content = await env.api.ok("GET", path.removesuffix("?format=event"), alice.token)
    assert content == answer["content"], f"without format the create event's content is {content}, not {answer}"


async def each_transaction_delivered_once(env: Environment) -> None:
    transactions = env.recorder.transactions()
    assert transactions, "no transactions were recorded"
    by_id: dict[str, list[Recorded]] = {}
    for request in transactions:
        assert request.path.startswith(TRANSACTIONS), f"a transaction came to {request.path}"
        assert request.authorization == f"Bearer {env.hs_token}", (
            f"transaction {request.txn_id} had Authorization {request.authorization!r}")
        by_id.setdefault(request.txn_id, []).append(request)
    carriers: dict[str, set[str]] = {}
    for txn_id, attempts in by_id.items():
        for attempt in attempts[1:]:
            assert attempt.raw == attempts[0].raw, (
                f"transaction {txn_id} came with different bodies:\n{attempts[0].raw!r}\n{attempt.raw!r}")
        body = attempts[0].body
        for event_id in attempts[0].event_ids():
            carriers.setdefault(event_id, set()).add(txn_id)
        for message in body.get("de.sorunome.msc2409.to_device", []):
            carriers.setdefault(json.dumps(message, sort_keys=True), set()).add(txn_id)
    twice = {item: txns for item, txns in carriers.items() if len(txns) > 1}
    assert not twice, f"carried by more than one transaction ID: {twice}"
    for event_id in (item for item in carriers if not item.startswith("{")):
        assert len(env.handled(event_id)) == 1, f"mautrix's handler saw {event_id} {len(env.handled(event_id))} times"
    retried = sum(1 for attempts in by_id.values() if len(attempts) > 1)
    print(f"  {len(transactions)} requests, {len(by_id)} transaction IDs ({retried} sent again), "
          f"{len(carriers)} events and to-device messages, each in one transaction")


SCENARIOS = [
    ("transactions_reach_mautrix", transactions_reach_mautrix),
    ("identity_assertion_from_mautrix", identity_assertion_from_mautrix),
    ("redelivery_after_downtime", redelivery_after_downtime),
    ("lost_acknowledgement_resent_unchanged", lost_acknowledgement_resent_unchanged),
    ("keyport_killed_while_pending", keyport_killed_while_pending),
    ("to_device_msc2409", to_device_msc2409),
    ("state_event_format_event", state_event_format_event),
    ("each_transaction_delivered_once", each_transaction_delivered_once),
]


async def main(binary: str) -> int:
    root = tempfile.mkdtemp(prefix="keyport-mautrix-as-")
    async with aiohttp.ClientSession() as session:
        env = Environment(binary, root, session)

        async def after_failure() -> None:
            if not env.appservice_up:
                await env.start_appservice()

        return await run_scenarios(
            "mautrix appservice interop", root, env,
            lambda: f"keyport {env.server_name} with mautrix's AppService on {env.port}",
            SCENARIOS, 90, after_failure)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1])))
