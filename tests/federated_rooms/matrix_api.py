"""Client-server calls the scenarios make directly rather than through matrix-nio: those nio lacks
(join with `server_name`, cross-signing upload, device deletion with user-interactive auth) and
those whose exact answer a scenario asserts (`/keys/query`, `/messages`, `/state`)."""

import urllib.parse
from typing import Any

from nio import AsyncClient

CLIENT_API = "/_matrix/client/v3"
JSON = dict[str, Any]


class MatrixCallError(AssertionError):
    """A call that did not answer as expected (an AssertionError, so a scenario fails on it)."""


def quote(value: str) -> str:
    return urllib.parse.quote(value, safe="")


async def call(client: AsyncClient, method: str, path: str, body: JSON | None = None,
               params: dict[str, str | list[str]] | None = None, expect: tuple[int, ...] = (200,)) -> tuple[int, JSON]:
    """`method` on `CLIENT_API + path` as `client`'s device; returns (status, JSON answer)."""
    url = f"{client.homeserver}{CLIENT_API}{path}"
    if params:
        url += "?" + urllib.parse.urlencode(params, doseq=True)
    headers = {"Authorization": f"Bearer {client.access_token}"}
    assert client.client_session is not None, f"{client.user_id} has not logged in"
    async with client.client_session.request(method, url, json=body, headers=headers) as reply:
        answer = await reply.json(content_type=None)
        if reply.status not in expect:
            raise MatrixCallError(f"{method} {path} as {client.user_id}/{client.device_id}: {reply.status} {answer}")
        return reply.status, answer if isinstance(answer, dict) else {"value": answer}


async def join(client: AsyncClient, room_id: str, via: str) -> None:
    """Joins `room_id` through `via` (room v12 IDs carry no server name)."""
    _, answer = await call(client, "POST", f"/join/{quote(room_id)}", body={},
                           params={"server_name": via, "via": via})
    assert answer.get("room_id") == room_id, f"join {room_id}: {answer}"


async def leave(client: AsyncClient, room_id: str) -> None:
    await call(client, "POST", f"/rooms/{quote(room_id)}/leave", body={})


async def query_keys(client: AsyncClient, user_id: str) -> JSON:
    """`POST /keys/query` for all of `user_id`'s devices; the whole answer, `failures` included."""
    _, answer = await call(client, "POST", "/keys/query", body={"device_keys": {user_id: []}, "timeout": 10000})
    return answer


async def rename_device(client: AsyncClient, device_id: str, display_name: str) -> None:
    await call(client, "PUT", f"/devices/{quote(device_id)}", body={"display_name": display_name})


async def with_password_auth(client: AsyncClient, password: str, method: str, path: str, body: JSON) -> JSON:
    """A call behind user-interactive auth: first without `auth` (the server may not ask), then with
    `m.login.password` in the session the 401 opened."""
    status, answer = await call(client, method, path, body=body, expect=(200, 401))
    if status == 200:
        return answer
    localpart = client.user_id[1:].split(":", 1)[0]
    auth = {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": localpart},
            "password": password, "session": answer.get("session")}
    _, answer = await call(client, method, path, body={**body, "auth": auth})
    return answer


async def delete_device(client: AsyncClient, device_id: str, password: str) -> None:
    await with_password_auth(client, password, "DELETE", f"/devices/{quote(device_id)}", {})


async def upload_cross_signing(client: AsyncClient, password: str, keys: JSON) -> None:
    await with_password_auth(client, password, "POST", "/keys/device_signing/upload", keys)


async def upload_signatures(client: AsyncClient, signatures: JSON) -> None:
    _, answer = await call(client, "POST", "/keys/signatures/upload", body=signatures)
    assert not answer.get("failures"), f"/keys/signatures/upload by {client.user_id}: {answer['failures']}"


async def messages(client: AsyncClient, room_id: str, limit: int = 200) -> list[JSON]:
    """The room's newest `limit` events, newest first (`/messages?dir=b` from the end)."""
    _, answer = await call(client, "GET", f"/rooms/{quote(room_id)}/messages", params={"dir": "b", "limit": str(limit)})
    return answer.get("chunk", [])


async def state(client: AsyncClient, room_id: str) -> list[JSON]:
    _, answer = await call(client, "GET", f"/rooms/{quote(room_id)}/state")
    return answer["value"]
