"""What a scenario needs from a homeserver, whichever software it runs.

A scenario gets two of them (see pairs.py): one hosts the room, the other one's user joins it.
An implementation only has to start, stop and describe a real server process on loopback; user
registration and everything else a scenario does goes through the client-server API, so it is the
same for every implementation.
"""

import abc
import asyncio
import hashlib
import hmac

import aiohttp


class Homeserver(abc.ABC):
    """One homeserver process of a pair, federating over TLS on loopback.

    `label` names its role in the pair ("A" or "B"), `software` what runs it ("synapse",
    "keyport"). `server_name` is the Matrix server name (`localhost:<TLS port>`), `client_url` the
    base URL test clients use (a plain-http client listener). Data is kept across `stop`/`start`.
    """

    label: str
    software: str
    server_name: str
    client_url: str
    workdir: str
    deviations: frozenset[str] = frozenset()  # known departures from the spec (deviations.py)
    registration_shared_secret: str  # `registration_shared_secret` of its config, for admin users

    @property
    @abc.abstractmethod
    def shares_device_names_over_federation(self) -> bool:
        """Whether `/user/keys/query` and `m.device_list_update` from this server carry the
        `device_display_name` of its users' devices (the spec calls device names public, Synapse
        withholds them unless `allow_device_name_lookup_over_federation` is set)."""

    @abc.abstractmethod
    def start(self) -> None:
        """Starts the process and returns once its client API answers; raises if it does not."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stops the process gracefully (killing it only if it does not exit); keeps its data."""

    @abc.abstractmethod
    def is_running(self) -> bool: ...

    @abc.abstractmethod
    def log_tail(self, chars: int = 6000) -> str:
        """The end of the server's log, for a failure report."""

    def restart(self) -> None:
        self.stop()
        self.start()

    def describe(self) -> str:
        return f"{self.label}={self.software}"

    async def register_user(self, localpart: str, password: str) -> str:
        """Registers `localpart` (m.login.dummy, no device: `inhibit_login`) and returns its user ID.
        Devices come from logging in (participant.py), so a user has exactly the devices a scenario
        logged in."""
        body = {"username": localpart, "password": password, "inhibit_login": True, "auth": {"type": "m.login.dummy"}}
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.post(f"{self.client_url}/_matrix/client/v3/register", json=body) as reply:
                answer = await reply.json(content_type=None)
                if reply.status != 200:
                    raise AssertionError(f"register {localpart} on {self.describe()}: {reply.status} {answer}")
        return answer["user_id"]

    async def register_admin(self, localpart: str, password: str) -> str:
        """Registers a server admin through Synapse's shared-secret registration
        (`/_synapse/admin/v1/register`, what `register_new_matrix_user -a` does; Keyport has it
        too) and returns its access token."""
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            url = f"{self.client_url}/_synapse/admin/v1/register"
            async with session.get(url) as reply:
                nonce = (await reply.json(content_type=None))["nonce"]
            message = "\0".join([nonce, localpart, password, "admin"]).encode()
            mac = hmac.new(self.registration_shared_secret.encode(), message, hashlib.sha1).hexdigest()
            body = {"nonce": nonce, "username": localpart, "password": password, "admin": True, "mac": mac}
            async with session.post(url, json=body) as reply:
                answer = await reply.json(content_type=None)
                if reply.status != 200:
                    raise AssertionError(f"register admin {localpart} on {self.describe()}: {reply.status} {answer}")
        return answer["access_token"]

    async def deactivate(self, admin_token: str, user_id: str) -> dict:
        """`POST /_synapse/admin/v1/deactivate/{userId}` with `{"erase": false}` as an admin."""
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            url = f"{self.client_url}/_synapse/admin/v1/deactivate/{user_id}"
            headers = {"Authorization": f"Bearer {admin_token}"}
            async with session.post(url, json={"erase": False}, headers=headers) as reply:
                answer = await reply.json(content_type=None)
                if reply.status != 200:
                    raise AssertionError(f"deactivate {user_id} on {self.describe()}: {reply.status} {answer}")
        return answer

    async def start_async(self) -> None:
        await asyncio.to_thread(self.start)

    async def stop_async(self) -> None:
        await asyncio.to_thread(self.stop)
