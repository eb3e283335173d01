"""The scenarios of a test script: each run with a time limit, reported as PASS or FAIL with its
time; and the whole script's round of them against one environment."""

import asyncio
import shutil
import time
import traceback
from collections.abc import Awaitable, Callable


async def run_scenario(name: str, scenario: Awaitable, timeout: float) -> bool:
    """Awaits `scenario` for at most `timeout` seconds; prints PASS, or FAIL and the traceback."""
    started = time.monotonic()
    try:
        await asyncio.wait_for(scenario, timeout=timeout)
    except Exception:
        print(f"FAIL {name} ({time.monotonic() - started:.1f} s)")
        traceback.print_exc()
        return False
    print(f"PASS {name} ({time.monotonic() - started:.1f} s)")
    return True


async def run_scenarios(label: str, root: str, env, describe: Callable[[], str],
                        scenarios: list[tuple[str, Callable]], timeout: float,
                        after_failure: Callable[[], Awaitable]) -> int:
    """Starts `env` (which has `start`, `stop` and `dump_logs`), runs each scenario against it
    (`after_failure` puts the environment back after a failed one), stops it and prints
    `<label>: N passed, M failed (T s)`. The work folder `root` is kept, and the logs printed, only
    when something failed. Returns the exit status: 0 when every scenario passed."""
    began = time.monotonic()
    try:
        await env.start()
    except Exception:
        traceback.print_exc()
        await env.stop()
        env.dump_logs()
        print(f"{label}: 0 passed, 1 failed (the environment did not start)")
        return 1
    print(f"{describe()} up in {time.monotonic() - began:.1f} s (workdir {root})")
    passed = failed = 0
    try:
        for name, scenario in scenarios:
            if await run_scenario(name, scenario(env), timeout=timeout):
                passed += 1
            else:
                failed += 1
                await after_failure()
    finally:
        await env.stop()
    if failed:
        env.dump_logs()
    else:
        shutil.rmtree(root, ignore_errors=True)
    print(f"{label}: {passed} passed, {failed} failed ({time.monotonic() - began:.1f} s)")
    return 1 if failed else 0
