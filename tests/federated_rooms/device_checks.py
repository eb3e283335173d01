"""What one server's `/keys/query` says about a user of the other server, waited for within a bound
(the other side's `device_lists.changed` has arrived by then, so this should hold at once; the
bound only keeps a slow cache refresh from flaking)."""

from collections.abc import Callable
from typing import Any

import deviations
import matrix_api
from cross_signing import CrossSigningKeys
from deviations import KEYS_QUERY_RESYNC_RACE, KEYS_QUERY_RESYNC_RACE_FAILURE
from participant import Participant, poll_until

QUERY_TIMEOUT = 10.0
JSON = dict[str, Any]


async def query(observer: Participant, user_id: str) -> JSON | None:
    """`observer`'s `/keys/query` for `user_id`; None if its server hit its known resync race
    (deviations.KEYS_QUERY_RESYNC_RACE, noted on `observer`), so the caller asks again. Any other
    failure fails."""
    answer = await matrix_api.query_keys(observer.client, user_id)
    failures = answer.get("failures") or {}
    if not failures:
        return answer
    known = KEYS_QUERY_RESYNC_RACE in observer.server.deviations
    if known and all(failure == KEYS_QUERY_RESYNC_RACE_FAILURE for failure in failures.values()):
        observer.incidents.append(deviations.note(KEYS_QUERY_RESYNC_RACE, observer.server.describe()))
        return None
    raise AssertionError(f"/keys/query {user_id} by {observer}: failures {failures}")


async def devices_of(observer: Participant, user_id: str) -> dict[str, JSON]:
    """The devices `observer`'s server lists for `user_id` (asked again after a known race)."""
    answer = await query_until(observer, user_id, lambda _: True, "an answer")
    return answer.get("device_keys", {}).get(user_id, {})


async def query_until(observer: Participant, user_id: str, condition: Callable[[JSON], bool], what: str,
                      timeout: float = QUERY_TIMEOUT) -> JSON:
    """Polls `observer`'s `/keys/query` for `user_id` until `condition(answer)`; returns that answer."""
    last: dict[str, JSON] = {}

    async def holds() -> bool:
        answer = await query(observer, user_id)
        if answer is None:
            return False
        last["answer"] = answer
        return condition(answer)

    try:
        await poll_until(holds, timeout, f"{observer}'s /keys/query for {user_id} showing {what}")
    except AssertionError as error:
        raise AssertionError(f"{error}; last answer {last.get('answer')}") from None
    return last["answer"]


async def wait_for_devices(observer: Participant, owner: Participant, present: set[str],
                           absent: frozenset[str] | set[str] = frozenset()) -> dict[str, JSON]:
    """Until every device of `present` is listed for `owner`'s user and none of `absent`; returns
    the devices of that answer."""
    def listed(answer: JSON) -> set[str]:
        return set(answer.get("device_keys", {}).get(owner.user_id, {}))

    answer = await query_until(observer, owner.user_id,
                               lambda a: present <= listed(a) and not absent & listed(a),
                               f"{sorted(present)} and not {sorted(absent)}")
    return answer["device_keys"][owner.user_id]


async def wait_for_cross_signing(observer: Participant, owner: Participant, keys: CrossSigningKeys) -> None:
    """Until `observer`'s server shows `owner`'s master key, the self-signing key signed by it, and
    `owner`'s device signed by the self-signing key; the user-signing key must never show."""
    user_id = owner.user_id

    def complete(answer: JSON) -> bool:
        master = answer.get("master_keys", {}).get(user_id, {})
        self_signing = answer.get("self_signing_keys", {}).get(user_id, {})
        device = answer.get("device_keys", {}).get(user_id, {}).get(owner.device_id, {})
        return (master.get("keys") == {keys.master.key_id: keys.master.public}
                and self_signing.get("keys") == {keys.self_signing.key_id: keys.self_signing.public}
                and keys.master.key_id in self_signing.get("signatures", {}).get(user_id, {})
                and keys.self_signing.key_id in device.get("signatures", {}).get(user_id, {}))

    answer = await query_until(observer, user_id, complete, "the cross-signing keys and the signed device")
    assert user_id not in answer.get("user_signing_keys", {}), f"{observer} was shown {user_id}'s user-signing key"


def assert_device_keys(devices: dict[str, JSON], owner: Participant) -> None:
    """The device `owner` uploaded is listed with its own identity keys."""
    device = devices[owner.device_id]
    identity = owner.client.olm.account.identity_keys
    assert device["keys"].get(f"curve25519:{owner.device_id}") == identity["curve25519"], f"{owner}: wrong curve25519"
    assert device["keys"].get(f"ed25519:{owner.device_id}") == identity["ed25519"], f"{owner}: wrong ed25519"


def display_name(device: JSON) -> str | None:
    return device.get("unsigned", {}).get("device_display_name")
