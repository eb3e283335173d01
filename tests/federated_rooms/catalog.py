"""Every scenario, in the order a run takes them, with its time limit (per direction)."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from scenario_context import ScenarioContext
from scenarios_deactivation import deactivated
from scenarios_devices import cross_signing, deleted_device, leave, renamed_device, second_device
from scenarios_restart import restart_each_server
from scenarios_rooms import encrypted_room


@dataclass(frozen=True)
class Scenario:
    name: str
    run: Callable[[ScenarioContext], Awaitable[None]]
    timeout: float


SCENARIOS: list[Scenario] = [
    Scenario("room_v12", encrypted_room("12"), 90),
    Scenario("room_v10", encrypted_room("10"), 90),
    Scenario("room_v11", encrypted_room("11"), 90),
    Scenario("second_device", second_device, 120),
    Scenario("renamed_device", renamed_device, 90),
    Scenario("deleted_device", deleted_device, 90),
    Scenario("cross_signing", cross_signing, 90),
    Scenario("leave", leave, 90),
    Scenario("deactivated", deactivated, 120),
    Scenario("restart", restart_each_server, 180),
]


def select(names: list[str] | None) -> list[Scenario]:
    if not names:
        return SCENARIOS
    known = {scenario.name: scenario for scenario in SCENARIOS}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SystemExit(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return [known[name] for name in names]
