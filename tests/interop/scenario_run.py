"""One scenario of a test script: run with a time limit, reported as PASS or FAIL with its time."""

import asyncio
import time
import traceback
from collections.abc import Awaitable


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
