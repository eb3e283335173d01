#!/usr/bin/env python3
"""Federated-room interop scenarios (issue 11) between two real homeservers over TLS on loopback,
with matrix-nio E2EE clients on both; every scenario runs in both directions (room hosted on A,
then on B). Prints one PASS/FAIL line per scenario and direction; exits non-zero on any failure.

Usage: run.py [--pair synapse-synapse|keyport-synapse|keyport-keyport] [--scenario NAME ...]
              [--direction both|a|b] [--keyport-binary PATH] [--timeout SECONDS] [--keep]
Run it with a Python that has matrix-nio[e2e] and matrix-synapse (scripts/federated_rooms.sh).
"""

import argparse
import asyncio
import logging
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))

from catalog import SCENARIOS, Scenario, select  # noqa: E402
from pairs import PAIRS, Direction, NotYetImplemented, Pair, PairOptions, build_pair, directions  # noqa: E402
from scenario_context import ScenarioContext  # noqa: E402
from tls import make_tls_material  # noqa: E402


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pair", choices=PAIRS, default="synapse-synapse")
    parser.add_argument("--scenario", action="append", help=f"one of {', '.join(s.name for s in SCENARIOS)}")
    parser.add_argument("--direction", choices=("both", "a", "b"), default="both",
                        help="a: room hosted on A only; b: on B only")
    parser.add_argument("--keyport-binary", help="the keyport binary, for pairs with Keyport")
    parser.add_argument("--synapse-hides-device-names", action="store_true",
                        help="run Synapse with its default allow_device_name_lookup_over_federation: false")
    parser.add_argument("--timeout", type=float, default=600, help="for the whole run, in seconds")
    parser.add_argument("--keep", action="store_true", help="keep the work directory even if all passed")
    return parser.parse_args()


def print_line(status: str, scenario: Scenario, direction: Direction, seconds: float) -> None:
    print(f"{status} {scenario.name:<16} {direction.name:<36} {seconds:6.1f} s", flush=True)


async def run_one(scenario: Scenario, direction: Direction, root: str) -> bool:
    """One scenario in one direction, within its time limit; prints its line and notes."""
    workdir = os.path.join(root, f"{scenario.name}-{direction.tag}")
    ctx = ScenarioContext(scenario.name, direction, workdir)
    started = time.monotonic()
    error: BaseException | None = None
    try:
        await asyncio.wait_for(scenario.run(ctx), timeout=scenario.timeout)
    except (Exception, asyncio.TimeoutError) as caught:
        error = caught
    except asyncio.CancelledError:  # the whole run is cut short
        print_line("FAIL", scenario, direction, time.monotonic() - started)
        raise
    finally:
        await ctx.close()
    print_line("FAIL" if error else "PASS", scenario, direction, time.monotonic() - started)
    for note in ctx.notes:
        print(f"     {note}")
    if error is not None:
        if isinstance(error, (AssertionError, asyncio.TimeoutError)):
            print(f"     {type(error).__name__}: {error or f'over {scenario.timeout:.0f} s'}")
        else:
            traceback.print_exception(error)
    return error is None


async def ensure_running(pair: Pair) -> None:
    """A failed scenario may leave a server stopped; the next one needs both."""
    for server in pair.servers:
        if not server.is_running():
            await server.start_async()


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0


async def run_all(pair: Pair, scenarios: list[Scenario], chosen: list[Direction], root: str, tally: Tally) -> None:
    """Every scenario in every chosen direction, counted in `tally` as they finish (so a run cut
    short still reports what it did)."""
    for scenario in scenarios:
        for direction in chosen:
            await ensure_running(pair)
            if await run_one(scenario, direction, root):
                tally.passed += 1
            else:
                tally.failed += 1


def stop_all(pair: Pair) -> None:
    for server in pair.servers:
        try:
            server.stop()
        except Exception as error:  # keep stopping the others
            print(f"stopping {server.describe()}: {error}")


def dump_logs(pair: Pair) -> None:
    for server in pair.servers:
        print(f"--- {server.describe()} {server.server_name} (work directory {server.workdir}) ---")
        print(server.log_tail())


async def main(arguments: argparse.Namespace, started: list[Pair]) -> int:
    """The run; the pair goes into `started` as soon as it exists (see `run`)."""
    began = time.monotonic()
    root = tempfile.mkdtemp(prefix="keyport-federated-rooms-")
    options = PairOptions(keyport_binary=arguments.keyport_binary,
                          synapse_shares_device_names=not arguments.synapse_hides_device_names)
    try:
        pair = build_pair(arguments.pair, root, make_tls_material(os.path.join(root, "tls")), options)
    except NotYetImplemented as reason:
        print(f"FAIL {arguments.pair}: {reason}")
        shutil.rmtree(root, ignore_errors=True)
        return 2
    started.append(pair)
    scenarios = select(arguments.scenario)
    chosen = [d for d in directions(pair) if arguments.direction in ("both", d.host.label.lower())]
    tally = Tally()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
    try:
        await asyncio.gather(*(server.start_async() for server in pair.servers))
        print(f"{arguments.pair}: A {pair.a.software} {pair.a.server_name}, B {pair.b.software} {pair.b.server_name} "
              f"up in {time.monotonic() - began:.1f} s (work directory {root})", flush=True)
        remaining = arguments.timeout - (time.monotonic() - began)
        await asyncio.wait_for(run_all(pair, scenarios, chosen, root, tally), timeout=remaining)
    except asyncio.TimeoutError:
        tally.failed += 1
        print(f"FAIL the whole run exceeded {arguments.timeout:.0f} s; the rest was not run")
    except asyncio.CancelledError:
        tally.failed += 1
        print("FAIL interrupted; the rest was not run")
    except Exception:
        tally.failed += 1
        traceback.print_exc()
    finally:
        stop_all(pair)
    if tally.failed:
        dump_logs(pair)
    elif not arguments.keep:
        shutil.rmtree(root, ignore_errors=True)
    print(f"federated rooms ({arguments.pair}): {tally.passed} passed, {tally.failed} failed "
          f"in {time.monotonic() - began:.1f} s")
    return 1 if tally.failed else 0


def run(arguments: argparse.Namespace) -> int:
    """`main`, then stopping the servers once more: a run cut short by its time limit or SIGTERM
    may have left a server start running in a thread, which asyncio.run waits for."""
    started: list[Pair] = []
    try:
        return asyncio.run(main(arguments, started))
    finally:
        for pair in started:
            stop_all(pair)


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)  # matrix-nio warns about every missing Olm session
    sys.exit(run(parse_arguments()))
