#!/usr/bin/env python3
"""Application service key interop (MSC3983 one-time-key claims, MSC3984 key queries): a real
Synapse 1.163 and a real Keyport federate over TLS on loopback, each with the same stub application
service (stub_appservice.py, one instance per server, its own port and tokens) registered for an
exclusive `@bridge_.*` namespace through a Synapse-format registration file, with both experimental
features on. The stub's keys are real (vodozemac Olm accounts, ed25519 cross-signing keys), so a
server that checks signatures must accept them, and every claimed key is used to open an Olm
session that the stub's account decrypts.

What passing proves, each scenario comparing what came back with what the stub generated and
checking that the stub recorded the request (path, `Authorization: Bearer <hs_token>`, body):
(1) synapse_claims_from_keyport: a Synapse user's `/keys/claim` for a Keyport bridged device that
    Keyport stores no keys for goes over federation to Keyport, which asks its stub (the stable
    `/_matrix/app/v1/keys/claim`), and the stub's one-time key comes back through Synapse; a
    Keyport user's claim of the same device gets the stub's next key;
(2) synapse_queries_keyport: a Synapse user's `/keys/query` for a Keyport bridged user returns,
    through Synapse, the stub's device keys and cross-signing (master and self-signing) keys,
    which Keyport asked for at `/_matrix/app/v1/keys/query`; so does a Keyport user's query;
(3) keyport_claims_from_synapse and (4) keyport_queries_synapse: the reverse: a Keyport user's
    claim and query for a Synapse bridged user reach Synapse's stub (at the unstable MSC3983 and
    MSC3984 paths, the only ones Synapse 1.163 calls) and return its one-time key and device keys.
    Synapse 1.163 does not ask the service for cross-signing keys (a TODO in its
    `query_local_devices`), so no master or self-signing key comes back for a Synapse bridged
    user, and the test checks that none does;
(5) keyport_appservice_down_falls_back: a Keyport bridged user logged in through the service
    (`m.login.application_service`) uploads device keys and a fallback key but no one-time keys;
    with the stub up a claim still gets the stub's key and leaves the fallback key unused; with the
    stub answering 500, hanging (taking the request and never answering) or refusing connections,
    a claim by a Keyport user and one made through Synapse over federation get the stored fallback
    key, and the stub saw the request wherever it could (500, hanging). Times: locally within the
    claim's `timeout` (2000 ms hanging; plus 1 s for the round trip), and at once (within 1 s)
    for 500s and refused connections; through Synapse with its default 10 s claim timeout: at
    once for 500s and refused connections, and while hanging within Keyport's 5 s for a service
    on a federation claim (which carries no timeout) plus the round trip, well before Synapse
    gives up and backs off Keyport.

Usage: run.py PATH_TO_KEYPORT_BINARY   (with a Python that has matrix-synapse, matrix-nio[e2e]
(vodozemac, aiohttp) installed; scripts/appservice_interop.sh sets that up)
"""

import asyncio
import os
import sys
import tempfile
import time

import aiohttp
import vodozemac

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))

from federating_keyport import FederatingKeyport, free_port  # noqa: E402
from scenario_run import run_scenarios  # noqa: E402
from stub_appservice import CLAIM_PATHS, QUERY_PATHS, BridgedDevice, StubAppService, verify  # noqa: E402
from synapse_server import SynapseServer, make_certificate  # noqa: E402

FEATURES = {"msc3983_appservice_otk_claims": True, "msc3984_appservice_key_query": True}
PASSWORD = "appservice-interop-password"
STABLE_CLAIM, UNSTABLE_CLAIM = CLAIM_PATHS
STABLE_QUERY, UNSTABLE_QUERY = QUERY_PATHS
SLACK = 1.0  # seconds a claim answer may take past its timeout (the HTTP round trip, the fallback lookup)


class Api:
    """Plain client-server API calls to one homeserver."""

    def __init__(self, session: aiohttp.ClientSession, label: str, url: str):
        self.session, self.label, self.url = session, label, url

    async def call(self, method: str, path: str, token: str | None = None, body: dict | None = None,
                   timeout: float = 60) -> tuple[int, dict]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.session.request(method, self.url + path, json=body, headers=headers,
                                        timeout=aiohttp.ClientTimeout(total=timeout)) as reply:
            return reply.status, await reply.json(content_type=None)

    async def ok(self, method: str, path: str, token: str | None = None, body: dict | None = None) -> dict:
        status, answer = await self.call(method, path, token, body)
        assert status == 200, f"{self.label}: {method} {path} {body} answered {status} {answer}"
        return answer


class User:
    def __init__(self, user_id: str, token: str, device_id: str):
        self.user_id, self.token, self.device_id = user_id, token, device_id


async def register(api: Api, username: str) -> User:
    """An ordinary user with a password, through the user-interactive m.login.dummy stage."""
    body = {"username": username, "password": PASSWORD}
    status, answer = await api.call("POST", "/_matrix/client/v3/register", body=body)
    if status == 401:
        body["auth"] = {"type": "m.login.dummy", "session": answer["session"]}
        status, answer = await api.call("POST", "/_matrix/client/v3/register", body=body)
    assert status == 200, f"{api.label}: register {username} answered {status} {answer}"
    return User(answer["user_id"], answer["access_token"], answer["device_id"])


async def register_bridged(api: Api, stub: StubAppService, localpart: str) -> str:
    """The service registers one of its users (no password, no login)."""
    answer = await api.ok("POST", "/_matrix/client/v3/register", stub.as_token, {
        "type": "m.login.application_service", "username": localpart, "inhibit_login": True})
    return answer["user_id"]


async def login_bridged(api: Api, stub: StubAppService, user_id: str, device_id: str) -> User:
    """The service logs one of its users in, on a device of its choosing."""
    answer = await api.ok("POST", "/_matrix/client/v3/login", stub.as_token, {
        "type": "m.login.application_service", "identifier": {"type": "m.id.user", "user": user_id},
        "device_id": device_id})
    assert answer["user_id"] == user_id and answer["device_id"] == device_id, f"{api.label}: login answered {answer}"
    return User(user_id, answer["access_token"], device_id)


async def claim(api: Api, user: User, target: str, device_id: str, timeout_ms: int,
                query_timeout_ms: int | None = None) -> tuple[dict, float]:
    """`/keys/claim` of one `signed_curve25519` key with `timeout` in the body (as the spec has it);
    `query_timeout_ms` also puts one in the query string, the only place Synapse 1.163 reads it
    from (it waits its default 10 s otherwise). The answer and the seconds it took."""
    started = time.monotonic()
    path = "/_matrix/client/v3/keys/claim"
    if query_timeout_ms is not None:
        path += f"?timeout={query_timeout_ms}"
    answer = await api.ok("POST", path, user.token, {
        "one_time_keys": {target: {device_id: "signed_curve25519"}}, "timeout": timeout_ms})
    return answer, time.monotonic() - started


async def query(api: Api, user: User, target: str) -> dict:
    return await api.ok("POST", "/_matrix/client/v3/keys/query", user.token,
                        {"device_keys": {target: []}, "timeout": 10000})


def assert_opens_olm_session(device: BridgedDevice, key_id: str, key: dict, via: str) -> None:
    """The claimed key is the device's own: signed by it, and an Olm session made with it (and the
    device's identity key) is one the device's account can open and decrypt."""
    verify(key, device.user.user_id, f"ed25519:{device.device_id}", device.ed25519)
    claimer = vodozemac.Account()
    session = claimer.create_outbound_session(vodozemac.Curve25519PublicKey.from_base64(device.curve25519),
                                              vodozemac.Curve25519PublicKey.from_base64(key["key"]))
    secret = f"{via} {key_id}".encode()
    message = session.encrypt(secret)
    plaintext = device.accept_session(claimer.curve25519_key.to_base64(), message.to_pre_key())
    assert plaintext == secret, f"{via}: the device decrypted {plaintext!r}, not {secret!r}"


def assert_claim_requests(stub: StubAppService, since: int, paths: list[str], user_id: str, device_id: str,
                          via: str) -> None:
    """Since request number `since`, the stub got exactly key claims at `paths` (in order), each
    with its hs_token and the body `{user: {device: ["signed_curve25519"]}}`."""
    got = stub.requests[since:]
    assert [request.path for request in got] == paths, (
        f"{via}: expected {stub.service_id} to be asked at {paths}, it got "
        f"{[(request.method, request.path, request.status) for request in got]}")
    for request in got:
        assert request.method == "POST", f"{via}: {request.method} {request.path}"
        assert request.authorization == f"Bearer {stub.hs_token}", f"{via}: Authorization {request.authorization!r}"
        assert request.body == {user_id: {device_id: ["signed_curve25519"]}}, f"{via}: claim body {request.body}"


def assert_stub_claimed(answer: dict, stub: StubAppService, handed_since: int, device: BridgedDevice,
                        via: str) -> None:
    """The claim answer holds exactly the one key the stub handed out since `handed_since`."""
    user_id = device.user.user_id
    handed = [item for item in stub.handed_out[handed_since:]
              if (item.user_id, item.device_id) == (user_id, device.device_id)]
    assert len(handed) == 1, f"{via}: {stub.service_id} handed out {len(handed)} keys for {device.device_id}"
    assert answer.get("failures") == {}, f"{via}: failures {answer.get('failures')}"
    expected = {user_id: {device.device_id: {handed[0].key_id: handed[0].key}}}
    assert answer["one_time_keys"] == expected, (
        f"{via}: expected the stub's key {expected}, got {answer['one_time_keys']}")
    assert_opens_olm_session(device, handed[0].key_id, handed[0].key, via)


def assert_no_key_requests(stub: StubAppService, since: int, via: str) -> None:
    got = [request for request in stub.requests[since:] if request.path in CLAIM_PATHS + QUERY_PATHS]
    assert not got, f"{via}: {stub.service_id} should not have been asked, got {[r.path for r in got]}"


async def claim_from_stub(api: Api, asker: User, stub: StubAppService, device: BridgedDevice, path: str,
                          via: str) -> dict:
    """A claim of the bridged device's key through `api`: the stub is asked once at `path`, and its
    key is what comes back."""
    since, handed = len(stub.requests), len(stub.handed_out)
    answer, _ = await claim(api, asker, device.user.user_id, device.device_id, 10000)
    assert_claim_requests(stub, since, [path], device.user.user_id, device.device_id, via)
    assert_stub_claimed(answer, stub, handed, device, via)
    return answer


async def synapse_claims_from_keyport(env: "Environment") -> None:
    stub = env.keyport_stub
    device = stub.add_device(stub.user_id("a"), "BRIDGEA")
    alice = await register(env.synapse_api, "s_alice")

    others = len(env.synapse_stub.requests)
    await claim_from_stub(env.synapse_api, alice, stub, device, STABLE_CLAIM, "synapse -> keyport claim")
    assert_no_key_requests(env.synapse_stub, others, "synapse -> keyport claim")

    # The same device claimed by a Keyport user: Keyport's own client API asks the stub again.
    bob = await register(env.keyport_api, "k_bob")
    await claim_from_stub(env.keyport_api, bob, stub, device, STABLE_CLAIM, "keyport local claim")


def assert_stub_queried(answer: dict, user_id: str, devices: list[BridgedDevice], via: str,
                        cross_signing: bool) -> None:
    """`answer` lists exactly the stub's device keys for `user_id` (and, if `cross_signing`, its
    master and self-signing keys; otherwise none), with signatures that check."""
    assert answer.get("failures") == {}, f"{via}: failures {answer.get('failures')}"
    expected = {device.device_id: device.device_keys for device in devices}
    got = answer.get("device_keys", {}).get(user_id)
    assert got == expected, f"{via}: expected the stub's device keys {expected}, got {got}"
    user = devices[0].user
    for device in devices:
        keys = got[device.device_id]
        verify(keys, user_id, f"ed25519:{device.device_id}", device.ed25519)
        verify(keys, user_id, user.self_signing.key_id, user.self_signing.public)
    master = answer.get("master_keys", {}).get(user_id)
    self_signing = answer.get("self_signing_keys", {}).get(user_id)
    if cross_signing:
        assert master == user.master_key, f"{via}: expected the stub's master key {user.master_key}, got {master}"
        assert self_signing == user.self_signing_key, (
            f"{via}: expected the stub's self-signing key {user.self_signing_key}, got {self_signing}")
        verify(self_signing, user_id, user.master.key_id, user.master.public)
    else:
        assert master is None and self_signing is None, (
            f"{via}: Synapse 1.163 was not expected to return cross-signing keys, got {master} {self_signing}")


def assert_query_requests(stub: StubAppService, since: int, paths: list[str], user_id: str, via: str) -> None:
    got = stub.requests[since:]
    assert [request.path for request in got] == paths, (
        f"{via}: expected {stub.service_id} to be asked at {paths}, it got "
        f"{[(request.method, request.path, request.status) for request in got]}")
    for request in got:
        assert request.method == "POST", f"{via}: {request.method} {request.path}"
        assert request.authorization == f"Bearer {stub.hs_token}", f"{via}: Authorization {request.authorization!r}"
        assert request.body == {user_id: []}, f"{via}: query body {request.body}"


async def synapse_queries_keyport(env: "Environment") -> None:
    stub = env.keyport_stub
    user_id = stub.user_id("b")
    devices = [stub.add_device(user_id, "BRIDGEB1"), stub.add_device(user_id, "BRIDGEB2")]
    carol = await register(env.synapse_api, "s_carol")

    since, others = len(stub.requests), len(env.synapse_stub.requests)
    answer = await query(env.synapse_api, carol, user_id)
    assert_query_requests(stub, since, [STABLE_QUERY], user_id, "synapse -> keyport query")
    assert_stub_queried(answer, user_id, devices, "synapse -> keyport query", cross_signing=True)
    assert_no_key_requests(env.synapse_stub, others, "synapse -> keyport query")

    dave = await register(env.keyport_api, "k_dave")
    since = len(stub.requests)
    answer = await query(env.keyport_api, dave, user_id)
    assert_query_requests(stub, since, [STABLE_QUERY], user_id, "keyport local query")
    assert_stub_queried(answer, user_id, devices, "keyport local query", cross_signing=True)


async def keyport_claims_from_synapse(env: "Environment") -> None:
    stub = env.synapse_stub
    device = stub.add_device(stub.user_id("c"), "BRIDGEC")
    erin = await register(env.keyport_api, "k_erin")

    others = len(env.keyport_stub.requests)
    await claim_from_stub(env.keyport_api, erin, stub, device, UNSTABLE_CLAIM, "keyport -> synapse claim")
    assert_no_key_requests(env.keyport_stub, others, "keyport -> synapse claim")


async def keyport_queries_synapse(env: "Environment") -> None:
    stub = env.synapse_stub
    user_id = stub.user_id("d")
    devices = [stub.add_device(user_id, "BRIDGED1"), stub.add_device(user_id, "BRIDGED2")]
    frank = await register(env.keyport_api, "k_frank")

    since, others = len(stub.requests), len(env.keyport_stub.requests)
    answer = await query(env.keyport_api, frank, user_id)
    assert_query_requests(stub, since, [UNSTABLE_QUERY], user_id, "keyport -> synapse query")
    assert_stub_queried(answer, user_id, devices, "keyport -> synapse query", cross_signing=False)
    assert_no_key_requests(env.keyport_stub, others, "keyport -> synapse query")


async def assert_port_refuses(port: int) -> None:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except ConnectionRefusedError:
        return
    writer.close()
    raise AssertionError(f"the stub's port {port} still accepts connections")


def assert_fallback(answer: dict, user_id: str, device_id: str, fallback: tuple[str, dict], took: float,
                    limit: float, via: str) -> None:
    assert answer.get("failures") == {}, f"{via}: failures {answer.get('failures')}"
    key_id, key = fallback
    expected = {user_id: {device_id: {key_id: key}}}
    assert answer["one_time_keys"] == expected, (
        f"{via}: expected the stored fallback key {expected}, got {answer['one_time_keys']}")
    assert took < limit, f"{via}: the claim took {took:.2f} s, more than {limit:.1f} s"
    print(f"  {via}: fallback key in {took:.2f} s")


async def keyport_appservice_down_falls_back(env: "Environment") -> None:
    stub = env.keyport_stub
    api = env.keyport_api
    user_id = await register_bridged(api, stub, f"{stub.localpart_prefix}fb")
    assert user_id == stub.user_id("fb"), f"registered {user_id}"
    bridged = await login_bridged(api, stub, user_id, "BRIDGEFB")
    device = stub.add_device(user_id, "BRIDGEFB")
    fallback = device.new_fallback_key()
    upload = await api.ok("POST", "/_matrix/client/v3/keys/upload", bridged.token, {
        "device_keys": device.device_keys, "fallback_keys": {fallback[0]: fallback[1]}})
    assert upload.get("one_time_key_counts", {}).get("signed_curve25519", 0) == 0, f"upload answered {upload}"
    george = await register(api, "k_george")
    hanna = await register(env.synapse_api, "s_hanna")

    def asked_once(since: int, status: int, via: str) -> None:
        got = [(request.path, request.status) for request in stub.requests[since:]]
        assert got == [(STABLE_CLAIM, status)], f"{via}: the stub should have been asked once, it got {got}"

    # Up: the service is asked before the stored fallback key is handed out, which stays unused.
    since, handed = len(stub.requests), len(stub.handed_out)
    answer, _ = await claim(api, george, user_id, "BRIDGEFB", 5000)
    assert_claim_requests(stub, since, [STABLE_CLAIM], user_id, "BRIDGEFB", "stub up")
    assert_stub_claimed(answer, stub, handed, device, "stub up")
    sync = await api.ok("GET", "/_matrix/client/v3/sync?timeout=0", bridged.token)
    assert sync.get("device_unused_fallback_key_types") == ["signed_curve25519"], (
        f"the fallback key was marked used while the service had keys: {sync.get('device_unused_fallback_key_types')}")

    # Broken: 500 for everything. The order of the modes matters: after refused connections
    # Keyport's HTTP client backs off before connecting again, so "refuse" comes last.
    await stub.set_mode("error")
    for via, where, who in [("stub answering 500, keyport local claim", api, george),
                            ("stub answering 500, synapse -> keyport claim", env.synapse_api, hanna)]:
        since = len(stub.requests)
        answer, took = await claim(where, who, user_id, "BRIDGEFB", 5000)
        assert_fallback(answer, user_id, "BRIDGEFB", fallback, took, 2 * SLACK, via)
        asked_once(since, 500, via)
    assert_opens_olm_session(device, *fallback, "fallback key")

    # Hanging: the request is taken and never answered; the claim's timeout bounds the wait.
    await stub.set_mode("hang")
    since = len(stub.requests)
    answer, took = await claim(api, george, user_id, "BRIDGEFB", 2000)
    assert_fallback(answer, user_id, "BRIDGEFB", fallback, took, 2.0 + SLACK, "stub hanging, keyport local claim")
    asked_once(since, 0, "stub hanging, keyport local claim")
    # Over federation no timeout reaches Keyport, which gives the service 5 s: Synapse, with its
    # default 10 s, gets the fallback key in time.
    since = len(stub.requests)
    answer, took = await claim(env.synapse_api, hanna, user_id, "BRIDGEFB", 10000)
    assert_fallback(answer, user_id, "BRIDGEFB", fallback, took, 5.0 + 2 * SLACK, "stub hanging, synapse -> keyport claim")
    asked_once(since, 0, "stub hanging, synapse -> keyport claim")

    # Down: connections refused. A refused connection is a failure at once: the fallback key
    # comes without waiting for the claim's timeout, locally and through Synapse.
    await stub.set_mode("refuse")
    await assert_port_refuses(stub.port)
    since = len(stub.requests)
    answer, took = await claim(api, george, user_id, "BRIDGEFB", 5000)
    assert_fallback(answer, user_id, "BRIDGEFB", fallback, took, SLACK, "stub refusing, keyport local claim")
    answer, took = await claim(env.synapse_api, hanna, user_id, "BRIDGEFB", 10000)
    assert_fallback(answer, user_id, "BRIDGEFB", fallback, took, 2 * SLACK, "stub refusing, synapse -> keyport claim")
    assert len(stub.requests) == since, f"the closed stub still received {stub.requests[since:]}"
    await stub.set_mode("up")


class Environment:
    def __init__(self, binary: str, root: str, session: aiohttp.ClientSession):
        cert, key = make_certificate(root)
        keyport_registration = os.path.join(root, "keyport-appservice.yaml")
        synapse_registration = os.path.join(root, "synapse-appservice.yaml")
        self.keyport = FederatingKeyport(binary, os.path.join(root, "keyport"), cert, key,
                                         app_service_config_files=[keyport_registration],
                                         experimental_features=FEATURES)
        self.synapse = SynapseServer(os.path.join(root, "synapse"), cert, key,
                                     app_service_config_files=[synapse_registration],
                                     experimental_features=FEATURES)
        self.keyport_stub = StubAppService("keyport-bridge", self.keyport.server_name, free_port())
        self.synapse_stub = StubAppService("synapse-bridge", self.synapse.server_name, free_port())
        self.keyport_stub.write_registration(keyport_registration)
        self.synapse_stub.write_registration(synapse_registration)
        self.keyport_api = Api(session, "keyport", self.keyport.url)
        self.synapse_api = Api(session, "synapse", self.synapse.url)

    async def start(self) -> None:
        await self.keyport_stub.start()
        await self.synapse_stub.start()
        await asyncio.gather(asyncio.to_thread(self.keyport.start), asyncio.to_thread(self.synapse.start, 90))

    async def stop(self) -> None:
        await asyncio.to_thread(self.synapse.stop)
        await asyncio.to_thread(self.keyport.stop)
        await self.keyport_stub.stop()
        await self.synapse_stub.stop()

    def dump_logs(self) -> None:
        for stub in (self.keyport_stub, self.synapse_stub):
            print(f"--- requests to {stub.service_id} ---")
            for request in stub.requests:
                print(f"  {request.method} {request.path} -> {request.status} auth={request.authorization!r} "
                      f"body={request.body}")
        print(f"--- keyport log ({self.keyport.log_path}) ---")
        print(self.keyport.log_tail())
        print(f"--- synapse log ({self.synapse.workdir}) ---")
        print(self.synapse.log_tail())


SCENARIOS = [
    ("synapse_claims_from_keyport", synapse_claims_from_keyport),
    ("synapse_queries_keyport", synapse_queries_keyport),
    ("keyport_claims_from_synapse", keyport_claims_from_synapse),
    ("keyport_queries_synapse", keyport_queries_synapse),
    ("keyport_appservice_down_falls_back", keyport_appservice_down_falls_back),
]


async def main(binary: str) -> int:
    root = tempfile.mkdtemp(prefix="keyport-appservice-")
    async with aiohttp.ClientSession() as session:
        env = Environment(binary, root, session)

        async def after_failure() -> None:
            for stub in (env.keyport_stub, env.synapse_stub):
                await stub.set_mode("up")

        return await run_scenarios(
            "appservice interop", root, env,
            lambda: (f"keyport {env.keyport.server_name} (stub on {env.keyport_stub.port}) and synapse "
                     f"{env.synapse.server_name} (stub on {env.synapse_stub.port})"),
            SCENARIOS, 120, after_failure)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1])))
