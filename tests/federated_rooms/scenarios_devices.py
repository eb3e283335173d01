"""Scenarios: device-list changes on one server reaching the other through the shared room —
`device_lists.changed` / `left` in the other side's /sync, exact (the bystanders of
shared_room.py see nobody), and its `/keys/query`.

Each change is made on both sides in turn (alice's on the host server, then bob's on the joining
one), so every scenario checks both servers as sender and as receiver in each direction.
"""

import deviations
import matrix_api
import shared_room
from cross_signing import CrossSigningKeys
from device_checks import assert_device_keys, devices_of, display_name, wait_for_cross_signing, wait_for_devices
from device_lists import expected, latency_note
from deviations import LEAVER_MISSES_LEFT_WHEN_SERVER_LEAVES
from participant import PASSWORD, Participant, sync_until
from scenario_context import ScenarioContext


def both_ways(room: shared_room.SharedRoom) -> list[tuple[Participant, Participant]]:
    """(changer, observer): alice's change seen by bob, then bob's seen by alice."""
    return [(room.alice, room.bob), (room.bob, room.alice)]


async def second_device(ctx: ScenarioContext) -> None:
    """A new device on each side is in the other side's `changed` within seconds, then in its
    `/keys/query`, and decrypts what the other side sends next."""
    room = await shared_room.set_up(ctx)
    await shared_room.exchange(ctx, room)
    for changer, observer in both_ways(room):
        window = room.window()
        new = await ctx.new_device(changer, 2)
        outcomes = await window.expect(expected(observer, changed={changer.user_id}), expected(changer))
        ctx.note(latency_note(outcomes, f"{new.device_id} of {changer.user_id} in device_lists.changed"))
        devices = await wait_for_devices(observer, new, present={changer.device_id, new.device_id})
        assert_device_keys(devices, new)
        await sync_until(new, lambda: new.knows_encrypted_room(room.room_id), shared_room.DELIVERY_TIMEOUT, "the room")
        await shared_room.send_and_receive(observer, [changer, new], room.room_id,
                                           f"to both of {changer.user_id}'s devices")
        await shared_room.send_and_receive(new, [observer], room.room_id, f"from {new.device_id}")


async def renamed_device(ctx: ScenarioContext) -> None:
    """If the owner's server shares device names over federation, a rename is a device-list change
    for the other side, whose `/keys/query` then shows the new name in
    `unsigned.device_display_name`. If it withholds them (Synapse's default), the other side can
    see nothing change: no `device_lists` entry (Synapse's resync finds its cache unchanged) and no
    name at all — never the old one."""
    room = await shared_room.set_up(ctx)
    for changer, observer in both_ways(room):
        new_name = f"renamed {changer.device_id} in {ctx.direction.tag}"
        shares = changer.server.shares_device_names_over_federation
        window = room.window()
        await matrix_api.rename_device(changer.client, changer.device_id, new_name)
        outcomes = await window.expect(expected(observer, changed={changer.user_id} if shares else set()),
                                       expected(changer))
        ctx.note(latency_note(outcomes, f"rename of {changer.device_id} in device_lists.changed"))
        own = (await devices_of(changer, changer.user_id))[changer.device_id]
        assert display_name(own) == new_name, f"{changer}'s own server shows {display_name(own)!r}"
        remote = (await wait_for_devices(observer, changer, present={changer.device_id}))[changer.device_id]
        want = new_name if shares else None
        assert display_name(remote) == want, (
            f"{observer.server.describe()} shows {changer.device_id} as {display_name(remote)!r}, expected {want!r} "
            f"({changer.server.describe()} {'shares' if shares else 'withholds'} device names over federation)")
        ctx.note(f"{changer.server.describe()}'s device name over federation: {display_name(remote)!r}")


async def deleted_device(ctx: ScenarioContext) -> None:
    """A deleted device is in the other side's `changed` and gone from its `/keys/query`."""
    room = await shared_room.set_up(ctx)
    for changer, observer in both_ways(room):
        extra = await ctx.new_device(changer, 2)
        await wait_for_devices(observer, extra, present={extra.device_id})
        window = room.window()
        await matrix_api.delete_device(changer.client, extra.device_id, PASSWORD)
        outcomes = await window.expect(expected(observer, changed={changer.user_id}), expected(changer))
        ctx.note(latency_note(outcomes, f"deletion of {extra.device_id} in device_lists.changed"))
        await wait_for_devices(observer, changer, present={changer.device_id}, absent={extra.device_id})


async def cross_signing(ctx: ScenarioContext) -> None:
    """Cross-signing keys uploaded on one side (and a device signed with them) are in the other
    side's `changed` and its `/keys/query`: the master key, the self-signing key signed by it, the
    device's signature by the self-signing key; the user-signing key stays private."""
    room = await shared_room.set_up(ctx)
    for changer, observer in both_ways(room):
        keys = CrossSigningKeys(changer.user_id)
        window = room.window()
        await matrix_api.upload_cross_signing(changer.client, PASSWORD, keys.upload_body())
        own_device = (await devices_of(changer, changer.user_id))[changer.device_id]
        await matrix_api.upload_signatures(changer.client, keys.device_signature_body(own_device))
        outcomes = await window.expect(expected(observer, changed={changer.user_id}), expected(changer))
        ctx.note(latency_note(outcomes, f"cross-signing keys of {changer.user_id} in device_lists.changed"))
        await wait_for_cross_signing(observer, changer, keys)


async def leave(ctx: ScenarioContext) -> None:
    """bob leaves: each side has the other in `left` (and nothing in `changed`); afterwards a new
    device of bob is not announced to alice, who shares no room with him any more.

    bob's leave takes his server out of the room; Synapse then tells bob nobody left
    (deviations.LEAVER_MISSES_LEFT_WHEN_SERVER_LEAVES), which is asserted and noted for Synapse."""
    room = await shared_room.set_up(ctx)
    await shared_room.exchange(ctx, room)
    alice, bob = room.alice, room.bob
    window = room.window()
    await matrix_api.leave(bob.client, room.room_id)
    bob_left = {alice.user_id}
    if LEAVER_MISSES_LEFT_WHEN_SERVER_LEAVES in bob.server.deviations:
        bob_left = set()
        ctx.note(deviations.note(LEAVER_MISSES_LEFT_WHEN_SERVER_LEAVES, bob.server.describe()))
    outcomes = await window.expect(expected(alice, left={bob.user_id}), expected(bob, left=bob_left))
    ctx.note(latency_note(outcomes, "leave in device_lists.left"))
    window = room.window()
    await ctx.new_device(bob, 2)
    await window.expect(expected(alice), expected(bob), settle=3.0)
