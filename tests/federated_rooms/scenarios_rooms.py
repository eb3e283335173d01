"""Scenarios: an encrypted room of a given version, created on one server and joined from the
other, with Megolm messages both ways (`shared_room.set_up` checks the invite/join device lists)."""

from collections.abc import Awaitable, Callable

import shared_room
from scenario_context import ScenarioContext


def encrypted_room(version: str) -> Callable[[ScenarioContext], Awaitable[None]]:
    async def scenario(ctx: ScenarioContext) -> None:
        room = await shared_room.set_up(ctx, version)
        for participant in (room.alice, room.bob):
            seen = await shared_room.room_version_seen(participant, room.room_id)
            assert seen == version, f"{participant.server.describe()} has room version {seen}, not {version}"
        await shared_room.exchange(ctx, room)
        await shared_room.assert_same_state(room)

    scenario.__name__ = f"encrypted_room_v{version}"
    return scenario
