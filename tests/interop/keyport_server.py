"""Start and stop a real Keyport process for interop tests."""

import json
import os
import socket
import subprocess
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class KeyportServer:
    """A `keyport serve` process on loopback with its own data directory."""

    def __init__(self, binary: str, workdir: str, port: int | None = None, extra_config: list[str] | None = None):
        self.binary = binary
        self.workdir = workdir
        self.port = port or free_port()
        self.server_name = f"localhost:{self.port}"
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        os.makedirs(workdir, exist_ok=True)
        self.config_path = os.path.join(workdir, "keyport.yaml")
        with open(self.config_path, "w") as handle:
            handle.write(
                "\n".join(
                    [
                        f'server_name: "{self.server_name}"',
                        "listeners:",
                        f"  - {{port: {self.port}, bind_addresses: ['127.0.0.1'], type: http}}",
                        "database:",
                        "  name: sqlite3",
                        f"  args: {{database: {workdir}/keyport.db}}",
                        f"signing_key_path: {workdir}/signing.key",
                        "enable_registration: true",
                        "enable_registration_without_verification: true",
                        "rc_login: {per_second: 1000, burst_count: 1000}",
                        "rc_registration: {per_second: 1000, burst_count: 1000}",
                        "rc_key_claim: {per_second: 1000, burst_count: 1000}",
                        "password_config: {pbkdf2_rounds: 10000}",
                        *(extra_config or ["log_level: warning"]),
                        "",
                    ]
                )
            )

    def start(self) -> None:
        log = open(os.path.join(self.workdir, "keyport.log"), "ab")
        self.process = subprocess.Popen(
            [self.binary, "serve", "--config", self.config_path], stdout=log, stderr=log, cwd=self.workdir
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"keyport exited with {self.process.returncode}; see {self.workdir}/keyport.log")
            try:
                with urllib.request.urlopen(self.url + "/_matrix/client/versions", timeout=1) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("keyport did not start within 30 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def request(self, method: str, path: str, token: str | None = None, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=30) as reply:
            return json.loads(reply.read())
