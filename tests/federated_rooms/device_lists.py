"""Exact `device_lists` assertions that do not flake.

A `DeviceListWindow` is opened before an action; afterwards `expect` keeps every observer syncing
until its expected users have all shown up in `changed` / `left` (bounded by `timeout`), then
for `settle` seconds more to catch anything spurious, and compares the union of what the syncs
said with what was expected — exactly: a missing user and an extra user both fail.

The observer's own user ID is left out of the comparison. Servers differ there and the spec says
nothing: Synapse puts the syncing user into `changed` when its own devices change and when it
joins a room (it lists every member of the new room), and into `left` when it leaves its last
room with the others; what matters across servers is the other side's users.
"""

import asyncio
import time
from dataclasses import dataclass, field

from participant import Participant, sync_for, sync_until

TIMEOUT = 15.0  # "seen by the other side within seconds"
SETTLE = 2.0  # how long to keep looking for spurious entries once the expected ones arrived


@dataclass(frozen=True)
class Expected:
    observer: Participant
    changed: frozenset[str] = frozenset()
    left: frozenset[str] = frozenset()
    may_change: frozenset[str] = frozenset()  # may be in `changed` or not (servers differ, or timing)


@dataclass
class Outcome:
    """What one observer saw in the window, and after how long its expected users were all there."""

    expected: Expected
    changed: set[str] = field(default_factory=set)
    left: set[str] = field(default_factory=set)
    latency: float | None = None
    raw: list[str] = field(default_factory=list)  # every non-empty device_lists of the window, own user included

    def mismatch(self) -> str | None:
        problems = []
        pairs = (("changed", self.expected.changed, self.changed), ("left", self.expected.left, self.left))
        for name, want, got in pairs:
            if missing := want - got:
                problems.append(f"{name} lacks {sorted(missing)}")
            if spurious := got - want - (self.expected.may_change if name == "changed" else frozenset()):
                problems.append(f"{name} has spurious {sorted(spurious)}")
        if not problems:
            return None
        return (f"{self.expected.observer} on {self.expected.observer.server.describe()}: {'; '.join(problems)} "
                f"(expected changed={sorted(self.expected.changed)} left={sorted(self.expected.left)}, "
                f"saw changed={sorted(self.changed)} left={sorted(self.left)}, own user not counted; "
                f"syncs: {'; '.join(self.raw) or 'all empty'})")


class DeviceListWindow:
    def __init__(self, observers: list[Participant]):
        self._observers = list(observers)
        self._marks = {id(observer): observer.mark() for observer in observers}

    def _seen(self, observer: Participant) -> tuple[set[str], set[str]]:
        changed, left = observer.device_lists_since(self._marks[id(observer)])
        return changed - {observer.user_id}, left - {observer.user_id}

    async def _watch(self, expected: Expected, timeout: float, settle: float) -> Outcome:
        observer = expected.observer
        started = time.monotonic()

        def arrived() -> bool:
            changed, left = self._seen(observer)
            return expected.changed <= changed and expected.left <= left

        outcome = Outcome(expected)
        try:
            await sync_until(observer, arrived, timeout, "expected device_lists")
            outcome.latency = time.monotonic() - started
            await sync_for(observer, settle)
        except AssertionError:
            pass  # reported below with what was seen
        outcome.changed, outcome.left = self._seen(observer)
        outcome.raw = [f"+{entry.at - started:.1f} s changed={sorted(entry.changed)} left={sorted(entry.left)}"
                       for entry in observer.device_lists[self._marks[id(observer)]:] if entry.changed or entry.left]
        return outcome

    async def expect(self, *expectations: Expected, timeout: float = TIMEOUT, settle: float = SETTLE) -> list[Outcome]:
        """Waits for and checks every observer's window at once; fails listing every mismatch.
        Observers of the window without an expectation must see nobody (bystanders)."""
        named = {id(e.observer) for e in expectations}
        unknown = [e.observer for e in expectations if id(e.observer) not in self._marks]
        assert not unknown, f"not observed from the start of the window: {unknown}"
        everyone = [*expectations, *(Expected(o) for o in self._observers if id(o) not in named)]
        outcomes = await asyncio.gather(*(self._watch(e, timeout, settle) for e in everyone))
        problems = [problem for outcome in outcomes if (problem := outcome.mismatch())]
        assert not problems, "device_lists not exact within {:.0f} s:\n  ".format(timeout) + "\n  ".join(problems)
        return list(outcomes)


def expected(observer: Participant, changed: set[str] | frozenset[str] = frozenset(),
             left: set[str] | frozenset[str] = frozenset(),
             may_change: set[str] | frozenset[str] = frozenset()) -> Expected:
    return Expected(observer, frozenset(changed), frozenset(left), frozenset(may_change))


def latency_note(outcomes: list[Outcome], what: str) -> str:
    """E.g. "bob saw alice's new device after 0.8 s" for the scenario's notes."""
    parts = [f"{o.expected.observer.user_id.split(':')[0]} {o.latency:.1f} s" for o in outcomes
             if o.latency is not None and (o.expected.changed or o.expected.left)]
    return f"{what}: " + (", ".join(parts) if parts else "nothing expected")
