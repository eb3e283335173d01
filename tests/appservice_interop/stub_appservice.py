"""A stub application service with real end-to-end keys, for MSC3983/MSC3984 interop tests.

It serves the homeserver-facing application service API (`/_matrix/app/v1/...`) on loopback, in
the test's own asyncio loop, for one homeserver: it checks `Authorization: Bearer <hs_token>`,
records every request it receives, and answers key claims (the stable MSC3983 path and
`/_matrix/app/unstable/org.matrix.msc3983/keys/claim`) and key queries (the stable path and
`/_matrix/app/unstable/org.matrix.msc3984/keys/query`) for the bridged devices it was given.

The keys are real: each bridged device is a vodozemac Olm account whose device keys carry its own
ed25519 self-signature over canonical JSON, and whose `signed_curve25519` one-time keys it signs
itself; each bridged user has an ed25519 master key and a self-signing key (PyNaCl), the
self-signing key signed by the master key and every device signed by the self-signing key. Every
signature is checked with signedjson (Synapse's own signing library) as it is made, so a key the
stub hands out is one a homeserver must accept. What passing the stub's self-check proves: the
stub itself signs as the Matrix spec says; what the tests built on it prove is said in run.py.

`mode` switches the service per test: "up" answers; "error" answers every request with 500;
"hang" accepts requests and answers none until the mode changes; "refuse" closes the listening
socket, so connections are refused.
"""

import asyncio
import base64
import json
import re
import secrets
import time
from dataclasses import dataclass, field

import canonicaljson
import nacl.signing
import signedjson.key
import signedjson.sign
import vodozemac
from aiohttp import web

OLM = "m.olm.v1.curve25519-aes-sha2"
MEGOLM = "m.megolm.v1.aes-sha2"
CLAIM_PATHS = ("/_matrix/app/v1/keys/claim", "/_matrix/app/unstable/org.matrix.msc3983/keys/claim")
QUERY_PATHS = ("/_matrix/app/v1/keys/query", "/_matrix/app/unstable/org.matrix.msc3984/keys/query")


def b64(data: bytes) -> str:
    """Unpadded standard base64, as Matrix writes keys and signatures."""
    return base64.b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def signing_bytes(obj: dict) -> bytes:
    """The canonical JSON a Matrix signature covers: the object without `signatures` and `unsigned`."""
    return canonicaljson.encode_canonical_json({k: v for k, v in obj.items() if k not in ("signatures", "unsigned")})


def add_signature(obj: dict, user_id: str, key_id: str, signature: str) -> None:
    obj.setdefault("signatures", {}).setdefault(user_id, {})[key_id] = signature


def verify(obj: dict, user_id: str, key_id: str, public_key: str) -> None:
    """Raises signedjson.sign.SignatureVerifyException unless `obj` carries a valid signature by
    `user_id`'s ed25519 key `key_id` (public key `public_key`, unpadded base64)."""
    algorithm, version = key_id.split(":", 1)
    verify_key = signedjson.key.decode_verify_key_bytes(f"{algorithm}:{version}", unb64(public_key))
    signedjson.sign.verify_signed_json(obj, user_id, verify_key)


class CrossSigningKey:
    """An ed25519 cross-signing key (master or self-signing) of one user."""

    def __init__(self, user_id: str, usage: str):
        self.user_id, self.usage = user_id, usage
        self.signing_key = nacl.signing.SigningKey.generate()
        self.public = b64(bytes(self.signing_key.verify_key))
        self.key_id = f"ed25519:{self.public}"

    def sign(self, obj: dict) -> None:
        add_signature(obj, self.user_id, self.key_id, b64(self.signing_key.sign(signing_bytes(obj)).signature))

    def object(self, signed_by: "CrossSigningKey | None" = None) -> dict:
        """The key as `/keys/query` lists it, signed by `signed_by` if given."""
        obj = {"user_id": self.user_id, "usage": [self.usage], "keys": {self.key_id: self.public}}
        if signed_by is not None:
            signed_by.sign(obj)
            verify(obj, self.user_id, signed_by.key_id, signed_by.public)
        return obj


@dataclass
class HandedOut:
    """A one-time key the stub gave away in a claim answer."""

    user_id: str
    device_id: str
    key_id: str
    key: dict


class BridgedDevice:
    """One device of a bridged user: a real Olm account that signs its own keys."""

    def __init__(self, user: "BridgedUser", device_id: str):
        self.user, self.device_id = user, device_id
        self.account = vodozemac.Account()
        self.ed25519 = self.account.ed25519_key.to_base64()
        self.curve25519 = self.account.curve25519_key.to_base64()
        self.device_keys = self._device_keys()

    def _self_sign(self, obj: dict) -> None:
        signature = self.account.sign(signing_bytes(obj)).to_base64()
        add_signature(obj, self.user.user_id, f"ed25519:{self.device_id}", signature)

    def _device_keys(self) -> dict:
        keys = {
            "user_id": self.user.user_id,
            "device_id": self.device_id,
            "algorithms": [OLM, MEGOLM],
            "keys": {f"curve25519:{self.device_id}": self.curve25519, f"ed25519:{self.device_id}": self.ed25519},
        }
        self._self_sign(keys)
        self.user.self_signing.sign(keys)
        verify(keys, self.user.user_id, f"ed25519:{self.device_id}", self.ed25519)
        verify(keys, self.user.user_id, self.user.self_signing.key_id, self.user.self_signing.public)
        return keys

    def _signed_key(self, public: str, fallback: bool) -> dict:
        key = {"key": public}
        if fallback:
            key["fallback"] = True
        self._self_sign(key)
        verify(key, self.user.user_id, f"ed25519:{self.device_id}", self.ed25519)
        return key

    def new_one_time_key(self) -> tuple[str, dict]:
        """A fresh `signed_curve25519` one-time key of this account: (key ID, signed key object)."""
        self.account.generate_one_time_keys(1)
        ((key_id, public),) = self.account.one_time_keys.items()
        self.account.mark_keys_as_published()
        return f"signed_curve25519:{key_id}", self._signed_key(public.to_base64(), fallback=False)

    def new_fallback_key(self) -> tuple[str, dict]:
        """This account's fallback key, signed, with `fallback: true`: (key ID, key object)."""
        self.account.generate_fallback_key()
        ((key_id, public),) = self.account.fallback_key.items()
        return f"signed_curve25519:{key_id}", self._signed_key(public.to_base64(), fallback=True)

    def accept_session(self, sender_curve25519: str, pre_key_message: vodozemac.PreKeyMessage) -> bytes:
        """Opens the inbound Olm session a claimer made with one of this device's keys; the plaintext."""
        _session, plaintext = self.account.create_inbound_session(
            vodozemac.Curve25519PublicKey.from_base64(sender_curve25519), pre_key_message)
        return plaintext


class BridgedUser:
    """A user the application service speaks for, with cross-signing keys and devices."""

    def __init__(self, user_id: str):
        self.user_id = user_id
        self.master = CrossSigningKey(user_id, "master")
        self.self_signing = CrossSigningKey(user_id, "self_signing")
        self.master_key = self.master.object()
        self.self_signing_key = self.self_signing.object(signed_by=self.master)
        self.devices: dict[str, BridgedDevice] = {}


@dataclass
class Recorded:
    """One request as the stub received it."""

    method: str
    path: str
    authorization: str | None
    body: object
    status: int = 0
    at: float = field(default_factory=time.monotonic)


class StubAppService:
    """The stub service for one homeserver: `registration_yaml()` is its registration file there."""

    def __init__(self, service_id: str, server_name: str, port: int, localpart_prefix: str = "bridge_"):
        self.service_id = service_id
        self.server_name = server_name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.localpart_prefix = localpart_prefix
        self.as_token = f"as-{service_id}-{secrets.token_hex(16)}"
        self.hs_token = f"hs-{service_id}-{secrets.token_hex(16)}"
        self.sender_localpart = f"{localpart_prefix}bot"
        self.users: dict[str, BridgedUser] = {}
        self.requests: list[Recorded] = []
        self.handed_out: list[HandedOut] = []
        self.mode = "up"
        self._resume = asyncio.Event()
        self._resume.set()
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    # --- what the homeserver is told -------------------------------------------------------------

    def user_regex(self) -> str:
        return f"@{re.escape(self.localpart_prefix)}.*:{re.escape(self.server_name)}"

    def registration_yaml(self) -> str:
        """The registration file in Synapse's format (single-quoted YAML takes backslashes as written)."""
        return "\n".join([
            f"id: {self.service_id}",
            f"url: '{self.url}'",
            f"as_token: '{self.as_token}'",
            f"hs_token: '{self.hs_token}'",
            f"sender_localpart: {self.sender_localpart}",
            "rate_limited: false",
            "namespaces:",
            "  users:",
            f"    - regex: '{self.user_regex()}'",
            "      exclusive: true",
            "  aliases: []",
            "  rooms: []",
            "",
        ])

    def write_registration(self, path: str) -> None:
        with open(path, "w") as handle:
            handle.write(self.registration_yaml())

    # --- bridged users ---------------------------------------------------------------------------

    def user_id(self, localpart_suffix: str) -> str:
        return f"@{self.localpart_prefix}{localpart_suffix}:{self.server_name}"

    def add_device(self, user_id: str, device_id: str) -> BridgedDevice:
        """A bridged device the service will answer for (its user is made on first use)."""
        assert re.match(self.user_regex(), user_id), f"{user_id} is outside {self.service_id}'s namespace"
        user = self.users.get(user_id) or self.users.setdefault(user_id, BridgedUser(user_id))
        device = BridgedDevice(user, device_id)
        user.devices[device_id] = device
        return device

    def key_requests(self, kind: str) -> list[Recorded]:
        """Recorded claim (`kind="claim"`) or query (`kind="query"`) requests."""
        paths = CLAIM_PATHS if kind == "claim" else QUERY_PATHS
        return [request for request in self.requests if request.path in paths]

    # --- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await self._listen()

    async def _listen(self) -> None:
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await self._site.start()

    async def set_mode(self, mode: str) -> None:
        """"up", "error" (500 for everything), "hang" (no answer until the mode changes) or
        "refuse" (the port is closed)."""
        assert mode in ("up", "error", "hang", "refuse"), mode
        if mode == "refuse" and self._site is not None:
            await self._site.stop()
            self._site = None
            # Kept-alive connections would still be served: a dead service has none.
            for connection in self._runner.server.connections:
                connection.force_close()
        elif mode != "refuse" and self._site is None:
            await self._listen()
        if mode == "hang":
            self._resume.clear()
        else:
            self._resume.set()
        self.mode = mode

    async def stop(self) -> None:
        self.mode = "stopped"
        self._resume.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._site = None

    # --- the application service API -------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        recorded = Recorded(request.method, request.path, request.headers.get("Authorization"), body)
        self.requests.append(recorded)
        status, answer = await self._answer(request, recorded)
        recorded.status = status
        return web.json_response(answer, status=status)

    async def _answer(self, request: web.Request, recorded: Recorded) -> tuple[int, dict]:
        if self.mode == "hang":
            await self._resume.wait()
            if self.mode != "up":  # released by a switch to another failure mode (or stop)
                return 503, {"errcode": "M_UNKNOWN", "error": "the stub stopped hanging"}
        if self.mode == "error":
            return 500, {"errcode": "M_UNKNOWN", "error": "the stub is switched to errors"}
        if recorded.authorization != f"Bearer {self.hs_token}":
            return 403, {"errcode": "M_FORBIDDEN", "error": "wrong or missing hs_token"}
        method, path = request.method, request.path
        if method == "POST" and path in CLAIM_PATHS:
            return 200, self._claim(recorded.body)
        if method == "POST" and path in QUERY_PATHS:
            return 200, self._query(recorded.body)
        if method == "PUT" and path.startswith("/_matrix/app/v1/transactions/"):
            return 200, {}
        if method == "POST" and path == "/_matrix/app/v1/ping":
            return 200, {}
        if method == "GET" and path.startswith("/_matrix/app/v1/users/"):
            return 200, {}
        if method == "GET" and path.startswith("/_matrix/app/v1/rooms/"):
            return 404, {"errcode": "M_NOT_FOUND", "error": "no rooms here"}
        return 404, {"errcode": "M_UNRECOGNIZED", "error": f"{method} {path} is not served"}

    def _claim(self, body: object) -> dict:
        """`{user: {device: [algorithm, ...]}}` → `{user: {device: {key_id: key}}}`: one fresh key
        per algorithm entry, for known devices and `signed_curve25519` only."""
        answer: dict[str, dict[str, dict]] = {}
        for user_id, devices in (body or {}).items():
            user = self.users.get(user_id)
            for device_id, algorithms in (devices or {}).items():
                device = user.devices.get(device_id) if user else None
                if device is None:
                    continue
                for algorithm in algorithms:
                    if algorithm != "signed_curve25519":
                        continue
                    key_id, key = device.new_one_time_key()
                    answer.setdefault(user_id, {}).setdefault(device_id, {})[key_id] = key
                    self.handed_out.append(HandedOut(user_id, device_id, key_id, key))
        return answer

    def _query(self, body: object) -> dict:
        """`{user: [device, ...]}` (empty: every device) → device, master and self-signing keys."""
        device_keys, master_keys, self_signing_keys = {}, {}, {}
        for user_id, wanted in (body or {}).items():
            user = self.users.get(user_id)
            if user is None:
                continue
            device_keys[user_id] = {
                device_id: device.device_keys for device_id, device in user.devices.items()
                if not wanted or device_id in wanted
            }
            master_keys[user_id] = user.master_key
            self_signing_keys[user_id] = user.self_signing_key
        return {"device_keys": device_keys, "master_keys": master_keys, "self_signing_keys": self_signing_keys}
