"""What one server's `/keys/query` says about a user of the other server, waited for within a bound
(the other side's `device_lists.changed` has arrived by then, so this should hold at once; the
bound only keeps a slow cache refresh from flaking)."""

from typing import Any

import matrix_api
from participant import Participant, poll_until

QUERY_TIMEOUT = 10.0
JSON = dict[str, Any]


async def devices_of(observer: Participant, user_id: str) -> dict[str, JSON]:
    answer = await matrix_api.query_keys(observer.client, user_id)
    return answer.get("device_keys", {}).get(user_id, {})


async def wait_for_devices(observer: Participant, owner: Participant, present: set[str], absent: set[str] = frozenset(),
                           timeout: float = QUERY_TIMEOUT) -> dict[str, JSON]:
    """Polls `observer`'s `/keys/query` for `owner`'s user until every device of `present` is listed
    and none of `absent`; returns the devices of the last answer."""
    last: dict[str, dict[str, JSON]] = {}

    async def matches() -> bool:
        last["devices"] = await devices_of(observer, owner.user_id)
        return present <= last["devices"].keys() and not absent & last["devices"].keys()

    try:
        await poll_until(matches, timeout, f"{observer}'s /keys/query showing {sorted(present)} "
                                           f"and not {sorted(absent)} for {owner.user_id}")
    except AssertionError as error:
        raise AssertionError(f"{error}; it lists {sorted(last.get('devices', {}))}") from None
    return last["devices"]


def assert_device_keys(devices: dict[str, JSON], owner: Participant) -> None:
    """The device `owner` uploaded is listed with its own identity keys."""
    device = devices[owner.device_id]
    identity = owner.client.olm.account.identity_keys
    assert device["keys"].get(f"curve25519:{owner.device_id}") == identity["curve25519"], f"{owner}: wrong curve25519"
    assert device["keys"].get(f"ed25519:{owner.device_id}") == identity["ed25519"], f"{owner}: wrong ed25519"


def display_name(device: JSON) -> str | None:
    return device.get("unsigned", {}).get("device_display_name")
