"""Just enough of the Matrix client-server API over aiohttp for the scale-out scenarios: every call
names the process it goes to, so a scenario decides which of the three serves it.

Keys are real: each device that uploads keys has an Olm account (matrix-nio's, on vodozemac) whose
ed25519 key signs its device keys, one-time keys and fallback key, as a client would (Keyport
checks those signatures).
"""

import base64
import json
import os
from dataclasses import dataclass, field

import aiohttp
from nio.crypto import OlmAccount

PASSWORD = "scale-out-password"
CLIENT_API = "/_matrix/client/v3"


class MatrixCallError(AssertionError):
    """A call that did not answer 200; an AssertionError so that a scenario fails on it."""


def canonical(value: dict) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass
class Device:
    """A logged-in device and the Olm account its keys are signed with."""

    user_id: str
    device_id: str
    token: str
    account: OlmAccount = field(default_factory=OlmAccount, repr=False)

    @property
    def localpart(self) -> str:
        return self.user_id[1:].split(":", 1)[0]

    def sign(self, value: dict) -> dict:
        """`value` with this device's signature added (signatures and unsigned are not signed)."""
        unsigned = {k: v for k, v in value.items() if k not in ("signatures", "unsigned")}
        signature = self.account.sign(canonical(unsigned))
        return {**value, "signatures": {self.user_id: {f"ed25519:{self.device_id}": signature}}}

    def device_keys(self) -> dict:
        """Signed device keys."""
        identity = self.account.identity_keys
        unsigned = {
            "user_id": self.user_id, "device_id": self.device_id,
            "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
            "keys": {f"curve25519:{self.device_id}": identity["curve25519"],
                     f"ed25519:{self.device_id}": identity["ed25519"]},
        }
        return self.sign(unsigned)

    def one_time_keys(self, count: int, prefix: str) -> dict:
        """`count` signed_curve25519 keys with IDs `prefix0`, `prefix1`, …; each key is 32 random
        bytes: the server checks only the signature, and an Olm account keeps few unpublished keys."""
        return {f"signed_curve25519:{prefix}{n}": self.sign({"key": random_key()}) for n in range(count)}

    def fallback_key(self, key_id: str) -> dict:
        return {f"signed_curve25519:{key_id}": self.sign({"key": random_key(), "fallback": True})}


def random_key() -> str:
    return base64.b64encode(os.urandom(32)).decode().rstrip("=")


class MatrixHttp:
    """Calls on one aiohttp session; `url` is the client listener of the process to ask."""

    def __init__(self, session: aiohttp.ClientSession):
        self.session = session

    async def call(self, url: str, method: str, path: str, device: Device | None = None, body: dict | None = None,
                   params: dict | None = None, timeout: float = 120) -> dict:
        headers = {"Authorization": f"Bearer {device.token}"} if device else {}
        async with self.session.request(method, url + CLIENT_API + path, json=body, params=params, headers=headers,
                                        timeout=aiohttp.ClientTimeout(total=timeout)) as reply:
            answer = await reply.json(content_type=None)
            if reply.status != 200:
                who = f" as {device.user_id}/{device.device_id}" if device else ""
                raise MatrixCallError(f"{method} {path}{who} on {url}: {reply.status} {answer}")
            return answer

    async def register(self, url: str, username: str) -> Device:
        answer = await self.call(url, "POST", "/register", body={
            "username": username, "password": PASSWORD, "auth": {"type": "m.login.dummy"}})
        return Device(answer["user_id"], answer["device_id"], answer["access_token"])

    async def login(self, url: str, user_id: str, device_id: str | None = None) -> Device:
        body = {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": user_id}, "password": PASSWORD}
        if device_id:
            body["device_id"] = device_id
        answer = await self.call(url, "POST", "/login", body=body)
        return Device(answer["user_id"], answer["device_id"], answer["access_token"])

    async def upload_keys(self, url: str, device: Device, device_keys: bool = False, one_time_keys: dict | None = None,
                          fallback_keys: dict | None = None) -> dict:
        body: dict = {}
        if device_keys:
            body["device_keys"] = device.device_keys()
        if one_time_keys:
            body["one_time_keys"] = one_time_keys
        if fallback_keys:
            body["fallback_keys"] = fallback_keys
        return await self.call(url, "POST", "/keys/upload", device, body)

    async def send_to_device(self, url: str, device: Device, event_type: str, txn_id: str,
                             messages: dict[str, dict[str, dict]]) -> None:
        await self.call(url, "PUT", f"/sendToDevice/{event_type}/{txn_id}", device, {"messages": messages})

    async def sync(self, url: str, device: Device, since: str | None = None, timeout_ms: int = 0) -> dict:
        params = {"timeout": str(timeout_ms)}
        if since:
            params["since"] = since
        return await self.call(url, "GET", "/sync", device, params=params, timeout=timeout_ms / 1000 + 60)
