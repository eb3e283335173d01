"""Scenario: a user deactivated through Synapse's admin API
(`POST /_synapse/admin/v1/deactivate/{userId}`, `{"erase": false}`, by an admin of that user's
server) leaves the shared room and loses every device, and the other side sees it: the user in
`device_lists.left`, their leave in the room's state, and no device of theirs in `/keys/query`.

A dedicated user, erin, is deactivated on each side in turn (first on the host server, then on the
joining one), so alice and bob stay as shared_room.py set them up.
"""

import asyncio

import matrix_api
import shared_room
from device_checks import query_until, wait_for_devices
from device_lists import expected, latency_note
from participant import PASSWORD, Participant, poll_until, sync_for, sync_until
from scenario_context import ScenarioContext


async def join_room(ctx: ScenarioContext, room: shared_room.SharedRoom, user: Participant) -> None:
    """alice invites `user`, who joins (through the host server if it is on the other one)."""
    await matrix_api.call(room.alice.client, "POST", f"/rooms/{matrix_api.quote(room.room_id)}/invite",
                          body={"user_id": user.user_id})
    await sync_until(user, lambda: room.room_id in user.invites, shared_room.DELIVERY_TIMEOUT,
                     f"the invite to {room.room_id}")
    await matrix_api.join(user.client, room.room_id, via=ctx.host.server_name)
    for member in (room.alice, room.bob):
        # The room's state on each server, not nio's member list (which counts the invite too).
        async def joined(member: Participant = member) -> bool:
            return await membership_seen(member, room.room_id, user.user_id) == "join"

        await poll_until(joined, shared_room.DELIVERY_TIMEOUT,
                         f"{user.user_id}'s join in {member.server.describe()}'s state of the room")


async def membership_seen(observer: Participant, room_id: str, user_id: str) -> str | None:
    for event in await matrix_api.state(observer.client, room_id):
        if event["type"] == "m.room.member" and event["state_key"] == user_id:
            return event["content"].get("membership")
    return None


async def deactivated(ctx: ScenarioContext) -> None:
    """erin, on one server and in the room, is deactivated by an admin of her server; both alice and
    bob get exactly erin in `left` (erin may also show in `changed`: her devices went first), the
    room's state on the other side has her leave, and the other side's `/keys/query` lists none of
    her devices."""
    room = await shared_room.set_up(ctx)
    for server, observer in ((ctx.host, room.bob), (ctx.joiner, room.alice)):
        erin = await ctx.new_user(server, f"erin_{server.label}")
        admin = await server.register_admin(ctx.localpart(f"admin_{server.label}"), PASSWORD)
        await join_room(ctx, room, erin)
        await wait_for_devices(observer, erin, present={erin.device_id})
        # erin's join makes her server send its users' lists to the other one (Keyport does), which
        # can land in alice's or bob's `changed` a moment later: let it pass before the window opens.
        await asyncio.gather(sync_for(room.alice, 2.0), sync_for(room.bob, 2.0))
        window = room.window()
        await server.deactivate(admin, erin.user_id)
        outcomes = await window.expect(
            expected(room.alice, left={erin.user_id}, may_change={erin.user_id}),
            expected(room.bob, left={erin.user_id}, may_change={erin.user_id}))
        changed = sorted(o.expected.observer.user_id.split(":")[0] for o in outcomes
                         if erin.user_id in o.changed)
        ctx.note(latency_note(outcomes, f"deactivation of {erin.user_id} on {server.describe()} in device_lists.left")
                 + f"; also in changed for: {', '.join(changed) or 'nobody'}")

        async def left_the_room() -> bool:
            return await membership_seen(observer, room.room_id, erin.user_id) == "leave"

        await poll_until(left_the_room, shared_room.DELIVERY_TIMEOUT,
                         f"{erin.user_id}'s leave in {observer.server.describe()}'s state of the room")
        await query_until(observer, erin.user_id, lambda answer: not answer.get("device_keys", {}).get(erin.user_id),
                          "no device")
