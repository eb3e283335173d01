#!/usr/bin/env python3
"""Multi-process scenarios: three `keyport serve` processes of one server on one PostgreSQL database.

- claims: 1,000 concurrent one-time-key claims spread over the three hand out no key twice;
- wakeup: a to-device message sent through process A wakes a `/sync` long-polling on B within 1 s;
- soak: randomised writers and readers across the processes miss no to-device message and no
  `device_lists` change;
- failover: `kill -9` of the process sending to a federated Synapse during a burst loses nothing,
  and every EDU reaches Synapse exactly once.
Each scenario's module says what passing proves.

Usage: scale_out.py PATH_TO_KEYPORT_BINARY [SCENARIO ...]
Needs KEYPORT_TEST_POSTGRES (libpq `host=… port=… user=…`, as scripts/postgres_cluster.sh prints it)
and a Python with matrix-nio[e2e], matrix-synapse and prometheus_client (scripts/scale_out.sh sets
that up). KEYPORT_SCALE_SEED repeats the soak's random choices; KEYPORT_SCALE_SOAK_SECONDS sets
its length.
"""

import asyncio
import os
import resource
import secrets
import shutil
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))

import aiohttp  # noqa: E402

from cluster import Database, ScaleOutCluster  # noqa: E402
from synapse_server import make_certificate  # noqa: E402
from matrix_http import MatrixHttp  # noqa: E402
from scenario_claims import claims  # noqa: E402
from scenario_failover import failover  # noqa: E402
from scenario_soak import soak  # noqa: E402
from scenario_run import run_scenario  # noqa: E402
from scenario_wakeup import wakeup  # noqa: E402
from synapse_server import SynapseServer  # noqa: E402

SCENARIOS = {"claims": claims, "wakeup": wakeup, "soak": soak, "failover": failover}
LEASE_SECONDS = 5
SCENARIO_TIMEOUT = 240


class Context:
    """What the scenarios share: the cluster, an HTTP client, the seed, and a Synapse started on first use."""

    def __init__(self, cluster: ScaleOutCluster, http: MatrixHttp, root: str, seed: int, cert: str, key: str):
        self.cluster, self.http, self.root, self.seed = cluster, http, root, seed
        self.cert, self.key = cert, key
        self.synapse_server: SynapseServer | None = None

    async def synapse(self) -> SynapseServer:
        if self.synapse_server is None:
            self.synapse_server = await asyncio.to_thread(
                SynapseServer, os.path.join(self.root, "synapse"), self.cert, self.key)
        if self.synapse_server.process is None or self.synapse_server.process.poll() is not None:
            await asyncio.to_thread(self.synapse_server.start)
        return self.synapse_server


async def run(binary: str, names: list[str], conninfo: str, seed: int) -> int:
    root = tempfile.mkdtemp(prefix="keyport-scale-")
    began = time.monotonic()
    cert, key = make_certificate(root)
    database = Database(conninfo)
    cluster = ScaleOutCluster(binary, root, database, cert, key, lease_seconds=LEASE_SECONDS)
    passed = failed = 0
    context = None
    try:
        cluster.start()
        print(f"keyport {cluster.server_name}: A {cluster.url('A')}, B {cluster.url('B')}, C {cluster.url('C')} on "
              f"database {database.name} up in {time.monotonic() - began:.1f} s (workdir {root})")
        if cluster.lease_key_ignored:
            print("note: this Keyport does not know federation_sender_lease_seconds (it warned and ignored it)")
        # One connection per request: 1,000 concurrent claims need 1,000 sockets at once.
        connector = aiohttp.TCPConnector(limit=0, force_close=True)
        async with aiohttp.ClientSession(connector=connector) as session:
            context = Context(cluster, MatrixHttp(session), root, seed, cert, key)
            for name in names:
                print(f"== {name}")
                if await run_scenario(name, SCENARIOS[name](context), timeout=SCENARIO_TIMEOUT):
                    passed += 1
                else:
                    failed += 1
                await asyncio.to_thread(cluster.start_missing)  # a killed process is back for the next one
    except Exception:
        traceback.print_exc()
        failed += 1
    finally:
        synapse = context.synapse_server if context else None
        if synapse:
            synapse.stop()
        cluster.stop()
        if failed:
            cluster.dump_logs()
            if synapse:
                print(f"--- synapse log ({synapse.workdir}) ---")
                print(synapse.log_tail())
        database.drop()
    if not failed:
        shutil.rmtree(root, ignore_errors=True)
    print(f"scale-out scenarios took {time.monotonic() - began:.1f} s (seed {seed})")
    print(f"scale-out: {passed} passed, {failed} failed")
    return 1 if failed else 0


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    names = sys.argv[2:] or list(SCENARIOS)
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown:
        print(f"unknown scenarios {unknown}; choose from {list(SCENARIOS)}")
        return 2
    conninfo = os.environ.get("KEYPORT_TEST_POSTGRES")
    if not conninfo:
        print("KEYPORT_TEST_POSTGRES is not set: these scenarios need PostgreSQL (scripts/scale_out.sh starts one)")
        return 1
    seed = int(os.environ.get("KEYPORT_SCALE_SEED") or secrets.randbelow(2**31))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    return asyncio.run(run(os.path.abspath(sys.argv[1]), names, conninfo, seed))


if __name__ == "__main__":
    sys.exit(main())
