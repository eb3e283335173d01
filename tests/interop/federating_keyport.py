"""Start and stop a federating Keyport for interop tests: an https listener (federation and client API)
named in its server name, plus a plain-http client listener for test clients."""

import json
import os
import socket
import subprocess
import time
import urllib.request

_handed_out: set[int] = set()


def free_port() -> int:
    """A free loopback port, never the same twice in this process (the OS may offer a just-closed
    port again, and both servers need two ports each)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


class FederatingKeyport:
    """A `keyport serve` process on loopback that federates over TLS with a self-signed certificate.

    By default it is a server of its own (named after its TLS port, SQLite in `workdir`). Several
    processes of one server (tests/scale_out) pass the first one's `server_name` and
    `signing_key_path`, a shared `database` (the YAML lines of the `database:` section) and
    `extra_config` lines; `metrics=True` adds a `type: metrics` listener on `metrics_port`. With
    `ca_path`, peers' certificates are verified against that CA (`federation_custom_ca_list`)
    instead of not being verified.
    """

    def __init__(self, binary: str, workdir: str, cert: str, key: str, *, server_name: str | None = None,
                 signing_key_path: str | None = None, database: list[str] | None = None,
                 extra_config: list[str] | None = None, metrics: bool = False, ca_path: str | None = None,
                 app_service_config_files: list[str] | None = None,
                 experimental_features: dict[str, bool] | None = None):
        self.binary = os.path.abspath(binary)
        self.workdir = workdir
        self.tls_port = free_port()
        self.http_port = free_port()
        self.metrics_port = free_port() if metrics else None
        self.server_name = server_name or f"localhost:{self.tls_port}"
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.log_path = os.path.join(workdir, "keyport.log")
        self.signing_key_path = signing_key_path or os.path.join(workdir, "signing.key")
        self.process: subprocess.Popen | None = None
        os.makedirs(workdir, exist_ok=True)
        self.config_path = os.path.join(workdir, "keyport.yaml")
        metrics_listener = [f"  - {{port: {self.metrics_port}, bind_addresses: ['127.0.0.1'], type: metrics}}"
                            ] if metrics else []
        database = database or ["database:", "  name: sqlite3", f"  args: {{database: {workdir}/keyport.db}}"]
        with open(self.config_path, "w") as handle:
            handle.write(
                "\n".join(
                    [
                        f'server_name: "{self.server_name}"',
                        "listeners:",
                        f"  - {{port: {self.tls_port}, bind_addresses: ['127.0.0.1'], tls: true}}",
                        f"  - {{port: {self.http_port}, bind_addresses: ['127.0.0.1'], tls: false}}",
                        *metrics_listener,
                        f"tls_certificate_path: {cert}",
                        f"tls_private_key_path: {key}",
                        *database,
                        f"signing_key_path: {self.signing_key_path}",
                        "enable_registration: true",
                        "enable_registration_without_verification: true",
                        *(["federation_verify_certificates: true", f"federation_custom_ca_list: [{ca_path}]"]
                          if ca_path else ["federation_verify_certificates: false"]),
                        "ip_range_blacklist: []",
                        "federation:",
                        "  destination_min_retry_interval: 1s",
                        "  destination_retry_multiplier: 1",
                        "  destination_max_retry_interval: 2s",
                        "rc_login: {per_second: 1000, burst_count: 1000}",
                        "rc_registration: {per_second: 1000, burst_count: 1000}",
                        "rc_key_claim: {per_second: 1000, burst_count: 1000}",
                        "password_config: {pbkdf2_rounds: 10000}",
                        "log_level: info",
                        *([f"app_service_config_files: {json.dumps(app_service_config_files)}"]
                          if app_service_config_files else []),
                        *([f"experimental_features: {json.dumps(experimental_features)}"]
                          if experimental_features else []),
                        *(extra_config or []),
                        "",
                    ]
                )
            )

    def start(self, timeout: float = 30) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [self.binary, "serve", "--config", self.config_path], stdout=log, stderr=log, cwd=self.workdir
            )
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"keyport exited with {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + "/_matrix/client/versions", timeout=1) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"keyport did not start within {timeout:.0f} s")

    def stop(self, grace: float = 10) -> bool:
        """SIGTERM, then SIGKILL after `grace` seconds; True if it exited by itself."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.kill()
                return False
        return True

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def log_tail(self, chars: int = 8000) -> str:
        try:
            with open(self.log_path, errors="replace") as log:
                return log.read()[-chars:]
        except OSError as error:
            return f"(no log: {error})"
