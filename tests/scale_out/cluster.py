"""Three `keyport serve` processes of one server on one fresh PostgreSQL database.

The processes share the server name, the signing key and the database; their configs differ only
in their ports and `instance_name`. Each has an https listener (only the first one's port is in the
server name, so inbound federation reaches that one), a plain-http client listener and a metrics
listener: the metrics are per process, which is how a scenario proves which process did the work.
"""

import os
import secrets
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

from federating_keyport import FederatingKeyport
from metrics_scrape import scrape

LABELS = ("A", "B", "C")


def psql_binary() -> str:
    """Debian puts psql on the PATH; PostgreSQL's own bin directory has it too."""
    found = shutil.which("psql")
    if found:
        return found
    root = "/usr/lib/postgresql"
    versions = sorted(os.listdir(root), key=lambda v: int(v) if v.isdigit() else 0) if os.path.isdir(root) else []
    for version in reversed(versions):
        path = os.path.join(root, version, "bin", "psql")
        if os.access(path, os.X_OK):
            return path
    raise RuntimeError("no psql (apt-get install postgresql)")


def parse_conninfo(conninfo: str) -> dict[str, str]:
    """libpq's `key=value key=value` form, as KEYPORT_TEST_POSTGRES holds it."""
    settings = {}
    for part in conninfo.split():
        key, _, value = part.partition("=")
        settings[key] = value.strip("'")
    return settings


class Database:
    """A database created for this run on the cluster KEYPORT_TEST_POSTGRES names; dropped at the end."""

    def __init__(self, conninfo: str):
        self.settings = parse_conninfo(conninfo)
        self.admin = conninfo
        self.name = f"keyport_scale_{secrets.token_hex(4)}"
        self.psql(f"CREATE DATABASE {self.name}")

    def psql(self, sql: str) -> str:
        result = subprocess.run([psql_binary(), self.admin, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
                                capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"psql {sql!r} failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def yaml(self) -> list[str]:
        """The `database:` section, as Synapse writes it for psycopg2."""
        args = {"user": self.settings.get("user", "postgres"), "dbname": self.name,
                "host": self.settings.get("host", "127.0.0.1"), "port": self.settings.get("port", "5432"),
                "cp_min": "2", "cp_max": "20"}
        if "password" in self.settings:
            args["password"] = self.settings["password"]
        return ["database:", "  name: psycopg2", "  args: {" + ", ".join(f"{k}: {v}" for k, v in args.items()) + "}"]

    def drop(self) -> None:
        try:
            self.psql(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
        except RuntimeError as error:
            print(f"note: {error}")


class ScaleOutCluster:
    """Processes A, B and C of one Keyport server. `lease_seconds` goes to
    `federation_sender_lease_seconds`; a Keyport that does not know the key warns and ignores it
    (`lease_key_ignored` says so after start)."""

    def __init__(self, binary: str, root: str, database: Database, cert: str, key: str, lease_seconds: int):
        self.lease_seconds = lease_seconds
        self.processes: dict[str, FederatingKeyport] = {}
        first = None
        for label in LABELS:
            extra = [f"federation_sender_lease_seconds: {lease_seconds}", f"instance_name: {label.lower()}"]
            process = FederatingKeyport(
                binary, os.path.join(root, f"keyport-{label.lower()}"), cert, key, metrics=True,
                server_name=first.server_name if first else None,
                signing_key_path=first.signing_key_path if first else None,
                database=database.yaml(), extra_config=extra)
            first = first or process
            self.processes[label] = process
        self.server_name = first.server_name

    def url(self, label: str) -> str:
        return self.processes[label].url

    def start(self) -> None:
        """A first (it writes the signing key and migrates), then B and C together."""
        self.processes["A"].start()
        self.start_missing()

    def start_missing(self) -> None:
        """Starts every process that is not running (after a scenario killed one), together."""
        down = [label for label in LABELS if not self.running(label)]
        with ThreadPoolExecutor() as pool:
            for started in [pool.submit(self.processes[label].start) for label in down]:
                started.result()

    def running(self, label: str) -> bool:
        process = self.processes[label].process
        return process is not None and process.poll() is None

    @property
    def lease_key_ignored(self) -> bool:
        return "unknown configuration key 'federation_sender_lease_seconds'" in self.processes["A"].log_tail(10**6)

    def metrics(self, label: str) -> dict[tuple[str, tuple], float]:
        """Every sample of the process's /metrics (empty when it is not running)."""
        return scrape(self.processes[label].metrics_port) if self.running(label) else {}

    def stop(self) -> None:
        for label, process in self.processes.items():
            if not process.stop():
                print(f"note: keyport {label} did not exit within 10 s of SIGTERM and was killed")

    def dump_logs(self, chars: int = 6000) -> None:
        for label, process in self.processes.items():
            print(f"--- keyport {label} log ({process.log_path}) ---")
            print(process.log_tail(chars))


def sample(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
