"""The start every scenario shares: alice on the host server creates an encrypted room and invites
bob from the other server, bob joins over federation, and both see exactly each other in
`device_lists.changed`; then Megolm messages both ways, each decrypted by the other side.

Two bystanders, carol on the host server and dave on the joining one, share no room with anyone;
they watch every device-list window of the scenario and must never see anybody in it (no change
may leak to users of either server outside the room)."""

from dataclasses import dataclass

import matrix_api
from device_lists import DeviceListWindow, expected
from participant import Participant, poll_until, sync_until
from scenario_context import ScenarioContext

DEFAULT_ROOM_VERSION = "12"
DELIVERY_TIMEOUT = 20.0  # a federated message or invite
ENCRYPTION = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}


@dataclass
class SharedRoom:
    room_id: str
    alice: Participant  # on the host server, created the room
    bob: Participant  # on the joining server
    bystanders: list[Participant]  # carol on the host server, dave on the joining one; in no room

    def window(self) -> DeviceListWindow:
        """A device-list window watched by everyone (bystanders expect nobody unless told)."""
        return DeviceListWindow([self.alice, self.bob, *self.bystanders])


async def create_room(alice: Participant, version: str, invite: list[str]) -> str:
    response = await alice.client.room_create(room_version=version, invite=invite, initial_state=[ENCRYPTION],
                                              name=f"federated rooms v{version}")
    room_id = getattr(response, "room_id", None)
    assert room_id, f"{alice} create a v{version} room: {response}"
    return room_id


async def set_up(ctx: ScenarioContext, version: str = DEFAULT_ROOM_VERSION) -> SharedRoom:
    alice = await ctx.new_user(ctx.host, "alice")
    bob = await ctx.new_user(ctx.joiner, "bob")
    bystanders = [await ctx.new_user(ctx.host, "carol"), await ctx.new_user(ctx.joiner, "dave")]
    window = DeviceListWindow([alice, bob, *bystanders])
    room_id = await create_room(alice, version, [bob.user_id])
    await sync_until(bob, lambda: room_id in bob.invites, DELIVERY_TIMEOUT, f"the invite to {room_id}")
    await matrix_api.join(bob.client, room_id, via=ctx.host.server_name)
    await sync_until(bob, lambda: bob.knows_encrypted_room(room_id), DELIVERY_TIMEOUT, "the joined encrypted room")
    await sync_until(alice, lambda: bob.user_id in joined_members(alice, room_id), DELIVERY_TIMEOUT, "bob's join")
    await window.expect(expected(alice, changed={bob.user_id}), expected(bob, changed={alice.user_id}))
    return SharedRoom(room_id, alice, bob, bystanders)


def joined_members(participant: Participant, room_id: str) -> set[str]:
    room = participant.client.rooms.get(room_id)
    return set(room.users) if room else set()


async def wait_for_text(participant: Participant, room_id: str, event_id: str, body: str,
                        timeout: float = DELIVERY_TIMEOUT) -> float:
    """Syncs until `participant` has decrypted `event_id` and it reads `body`."""
    seconds = await sync_until(participant, lambda: event_id in participant.texts(room_id), timeout,
                               f"decrypted {body!r} ({event_id})")
    got = participant.texts(room_id)[event_id]
    assert got == body, f"{participant} decrypted {event_id} as {got!r}, not {body!r}"
    return seconds


async def send_and_receive(sender: Participant, receivers: list[Participant], room_id: str, body: str) -> str:
    event_id = await sender.send_text(room_id, body)
    for receiver in receivers:
        await wait_for_text(receiver, room_id, event_id, body)
    return event_id


async def exchange(ctx: ScenarioContext, room: SharedRoom) -> None:
    """One message each way, decrypted on the other server."""
    await send_and_receive(room.alice, [room.bob], room.room_id, f"hello bob from {ctx.host.describe()}")
    await send_and_receive(room.bob, [room.alice], room.room_id, f"hello alice from {ctx.joiner.describe()}")


async def room_version_seen(participant: Participant, room_id: str) -> str:
    create = next(event for event in await matrix_api.state(participant.client, room_id)
                  if event["type"] == "m.room.create")
    return create["content"].get("room_version", "1")


def state_ids(state: list[dict]) -> set[tuple[str, str, str]]:
    return {(event["type"], event["state_key"], event["event_id"]) for event in state}


async def assert_same_state(room: SharedRoom, timeout: float = DELIVERY_TIMEOUT) -> None:
    """Both servers hold the same current state (the same event for every type and state key)."""
    seen: dict[str, set] = {}

    async def same() -> bool:
        seen["alice"] = state_ids(await matrix_api.state(room.alice.client, room.room_id))
        seen["bob"] = state_ids(await matrix_api.state(room.bob.client, room.room_id))
        return seen["alice"] == seen["bob"]

    try:
        await poll_until(same, timeout, "the same room state on both servers")
    except AssertionError as error:
        only_a, only_b = seen["alice"] - seen["bob"], seen["bob"] - seen["alice"]
        raise AssertionError(f"{error}: only on alice's server {sorted(only_a)}, only on bob's {sorted(only_b)}")
