"""Start and stop a real Synapse (installed from PyPI into the running venv) for federation interop tests.

Synapse federates over https only, so it gets a TLS listener (client + federation resources) on the
port named in its server name, plus a plain-http client listener for test clients. What lets it
federate on loopback with a self-signed peer: loopback in `ip_range_whitelist`, certificate checks
off with no trusted key servers (peer keys are fetched from the peer itself), 1-2 s retry
intervals, and rate limits raised for a test suite.
"""

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request

from federating_keyport import free_port

LOG_CONFIG = """\
version: 1
formatters:
  precise:
    format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s'
filters:
  context:
    (): synapse.logging.context.LoggingContextFilter
    request: ""
handlers:
  file:
    class: logging.FileHandler
    formatter: precise
    filters: [context]
    filename: {log_path}
loggers:
  synapse.storage.SQL: {{level: WARNING}}
  synapse.access.http: {{level: INFO}}
  twisted: {{level: WARNING}}
root:
  level: INFO
  handlers: [file]
disable_existing_loggers: false
"""


def make_certificate(directory: str) -> tuple[str, str]:
    """One self-signed certificate for localhost/127.0.0.1, shared by both servers."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return cert, key


class SynapseServer:
    """A Synapse homeserver process on loopback with its own data directory (kept across restarts)."""

    def __init__(self, workdir: str, cert: str, key: str, *, ca_path: str | None = None,
                 extra_config: list[str] | None = None, federation_config: list[str] | None = None,
                 app_service_config_files: list[str] | None = None,
                 experimental_features: dict[str, bool] | None = None):
        """`ca_path`: verify peers' certificates against this CA (federation_custom_ca_list) instead of
        not verifying them; `extra_config`: more homeserver.yaml lines (keys not set above);
        `federation_config`: more lines of the `federation:` section (e.g. "  max_long_retries: 1");
        `app_service_config_files`: application service registration files, read when the server
        starts (so they may be written after this, once `server_name` is known);
        `experimental_features`: e.g. {"msc3983_appservice_otk_claims": True}."""
        self.workdir = workdir
        self.tls_port = free_port()
        self.http_port = free_port()
        self.server_name = f"localhost:{self.tls_port}"
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.log_path = os.path.join(workdir, "homeserver.log")
        # For /_synapse/admin/v1/register (an admin user, as register_new_matrix_user -a makes).
        self.registration_shared_secret = secrets.token_hex(32)
        self.stdout_path = os.path.join(workdir, "stdout.log")
        self.process: subprocess.Popen | None = None
        os.makedirs(workdir, exist_ok=True)
        log_config = os.path.join(workdir, "log.yaml")
        with open(log_config, "w") as handle:
            handle.write(LOG_CONFIG.format(log_path=self.log_path))
        limit = "{per_second: 1000, burst_count: 1000}"
        self.config_path = os.path.join(workdir, "homeserver.yaml")
        with open(self.config_path, "w") as handle:
            handle.write(
                "\n".join(
                    [
                        f'server_name: "{self.server_name}"',
                        "report_stats: false",
                        "listeners:",
                        f"  - port: {self.tls_port}",
                        "    bind_addresses: ['127.0.0.1']",
                        "    type: http",
                        "    tls: true",
                        "    x_forwarded: false",
                        "    resources: [{names: [client, federation], compress: false}]",
                        f"  - port: {self.http_port}",
                        "    bind_addresses: ['127.0.0.1']",
                        "    type: http",
                        "    tls: false",
                        "    x_forwarded: false",
                        "    resources: [{names: [client], compress: false}]",
                        f"tls_certificate_path: {cert}",
                        f"tls_private_key_path: {key}",
                        "database:",
                        "  name: sqlite3",
                        f"  args: {{database: {workdir}/homeserver.db}}",
                        f"log_config: {log_config}",
                        f"media_store_path: {workdir}/media_store",
                        f"signing_key_path: {workdir}/signing.key",
                        f'macaroon_secret_key: "{secrets.token_hex(32)}"',
                        f'form_secret: "{secrets.token_hex(32)}"',
                        f'registration_shared_secret: "{self.registration_shared_secret}"',
                        "enable_registration: true",
                        "enable_registration_without_verification: true",
                        "trusted_key_servers: []",
                        "suppress_key_server_warning: true",
                        *(["federation_verify_certificates: true", f"federation_custom_ca_list: [{ca_path}]"]
                          if ca_path else ["federation_verify_certificates: false"]),
                        "ip_range_whitelist: ['127.0.0.0/8', '::1/128']",
                        "federation:",
                        "  destination_min_retry_interval: 1s",
                        "  destination_retry_multiplier: 1",
                        "  destination_max_retry_interval: 2s",
                        *(federation_config or []),
                        f"rc_message: {limit}",
                        f"rc_registration: {limit}",
                        "rc_login:",
                        f"  address: {limit}",
                        f"  account: {limit}",
                        f"  failed_attempts: {limit}",
                        f"rc_key_requests: {limit}",
                        "rc_federation: {window_size: 1000, sleep_limit: 1000, sleep_delay: 1, reject_limit: 1000, concurrent: 100}",
                        *([f"app_service_config_files: {json.dumps(app_service_config_files)}"]
                          if app_service_config_files else []),
                        *([f"experimental_features: {json.dumps(experimental_features)}"]
                          if experimental_features else []),
                        *(extra_config or []),
                        "",
                    ]
                )
            )
        self._run(["--generate-keys"])

    def _command(self, extra: list[str]) -> list[str]:
        return [sys.executable, "-m", "synapse.app.homeserver", "-c", self.config_path, *extra]

    def _run(self, extra: list[str]) -> None:
        result = subprocess.run(self._command(extra), cwd=self.workdir, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"synapse {' '.join(extra)} failed:\n{result.stdout}\n{result.stderr}")

    def start(self, timeout: float = 60) -> None:
        with open(self.stdout_path, "ab") as out:
            self.process = subprocess.Popen(self._command([]), stdout=out, stderr=out, cwd=self.workdir)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"synapse exited with {self.process.returncode}; see {self.workdir}")
            try:
                with urllib.request.urlopen(self.url + "/_matrix/client/versions", timeout=1) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"synapse did not start within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_tail(self, chars: int = 8000) -> str:
        parts = []
        for path in (self.stdout_path, self.log_path):
            try:
                with open(path, errors="replace") as log:
                    text = log.read()
            except OSError:
                continue
            if text.strip():
                parts.append(f"[{os.path.basename(path)}]\n{text[-chars:]}")
        return "\n".join(parts) or "(no log)"
