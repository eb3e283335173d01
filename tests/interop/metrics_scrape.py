#!/usr/bin/env python3
"""Metrics and JSON logs of a real Keyport, read with real parsers.

A Keyport with a `type: metrics` listener and `log_format: json` runs a scripted workload: matrix-nio
uploads a device's keys, another user claims one more key than the device has one-time keys for,
and sends to-device messages that the device syncs. `/metrics` is scraped before and after and
parsed with prometheus_client's text parser; every counter must have moved by exactly what the
workload implies. Then every line Keyport logged must parse as a JSON object.

Usage: metrics_scrape.py PATH_TO_KEYPORT_BINARY
"""

import asyncio
import base64
import json
import os
import sys
import tempfile
import urllib.request

from nio import AsyncClient, AsyncClientConfig, RegisterResponse
from prometheus_client.parser import text_string_to_metric_families

from keyport_server import KeyportServer, free_port

PASSWORD = "metrics-password"


def scrape(port: int) -> dict[tuple[str, tuple], float]:
    """Every sample of the scrape, keyed by name and sorted labels."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as reply:
        assert reply.status == 200, reply.status
        text = reply.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def delta(before: dict, after: dict, name: str, **labels) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


async def workload(server: KeyportServer, metrics_port: int, root: str) -> None:
    config = AsyncClientConfig(encryption_enabled=True, store_sync_tokens=True)
    alice = AsyncClient(server.url, f"@alice:{server.server_name}", store_path=tempfile.mkdtemp(dir=root), config=config)
    try:
        registered = await alice.register("alice", PASSWORD)
        assert isinstance(registered, RegisterResponse), registered
        await alice.sync(timeout=0)
        upload = await alice.keys_upload()
        one_time_keys = upload.signed_curve25519_count
        assert one_time_keys > 0, upload
        bob = server.request("POST", "/_matrix/client/v3/register",
                             body={"username": "bob", "password": PASSWORD, "auth": {"type": "m.login.dummy"}})
        # nio 0.26 uploads no fallback key: sign one with the device's Olm account, as a client does.
        fallback = {"key": base64.b64encode(os.urandom(32)).decode().rstrip("="), "fallback": True}
        canonical = json.dumps(fallback, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        fallback["signatures"] = {alice.user_id: {f"ed25519:{alice.device_id}": alice.olm.account.sign(canonical)}}
        server.request("POST", "/_matrix/client/v3/keys/upload", token=alice.access_token,
                       body={"fallback_keys": {"signed_curve25519:FB": fallback}})
        sync = server.request("GET", "/_matrix/client/v3/sync?timeout=0", token=alice.access_token)
        has_fallback = "signed_curve25519" in sync.get("device_unused_fallback_key_types", [])
        assert has_fallback, sync.get("device_unused_fallback_key_types")

        before = scrape(metrics_port)
        claims = one_time_keys + 2
        body = {"one_time_keys": {alice.user_id: {alice.device_id: "signed_curve25519"}}}
        handed_out = 0
        for _ in range(claims):
            answer = server.request("POST", "/_matrix/client/v3/keys/claim", token=bob["access_token"], body=body)
            handed_out += len(answer["one_time_keys"].get(alice.user_id, {}))
        messages = 3
        for number in range(messages):
            server.request("PUT", f"/_matrix/client/v3/sendToDevice/m.test/txn{number}", token=bob["access_token"],
                           body={"messages": {alice.user_id: {alice.device_id: {"n": number}}}})
        delivered = server.request("GET", "/_matrix/client/v3/sync?timeout=0", token=alice.access_token)
        to_device = [e for e in delivered.get("to_device", {}).get("events", []) if e["type"] == "m.test"]
        after = scrape(metrics_port)

        expected_fallbacks = 2 if has_fallback else 0
        assert handed_out == one_time_keys + expected_fallbacks, (handed_out, one_time_keys, has_fallback)
        checks = {
            "one-time keys claimed": (delta(before, after, "keyport_keys_claimed_total", kind="one_time_key"),
                                      one_time_keys),
            "fallback answers": (delta(before, after, "keyport_keys_claimed_total", kind="fallback"),
                                 expected_fallbacks),
            "claim requests": (delta(before, after, "keyport_http_requests_total",
                                     route="/_matrix/client/v3/keys/claim", method="POST", status="200"), claims),
            "to-device delivered": (delta(before, after, "keyport_to_device_delivered_total"), len(to_device)),
        }
        assert len(to_device) == messages, to_device
        failed = False
        for name, (got, want) in checks.items():
            print(f"{'PASS' if got == want else 'FAIL'} {name}: moved by {got:g}, expected {want}")
            failed |= got != want
        resident = after.get(("keyport_process_resident_memory_bytes", ()), 0)
        print(f"{'PASS' if resident > 0 else 'FAIL'} resident memory gauge: {resident:g} bytes")
        failed |= resident <= 0
        if failed:
            raise SystemExit(1)
    finally:
        await alice.close()


def check_json_logs(path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        lines = [line for line in handle.read().splitlines() if line.strip()]
    assert lines, "Keyport logged nothing"
    for number, line in enumerate(lines, 1):
        entry = json.loads(line)
        assert isinstance(entry, dict), f"line {number} is not an object: {line}"
        for field in ("timestamp", "level", "label", "message"):
            assert field in entry, f"line {number} lacks {field}: {line}"
    requests = [e for e in lines if "/keys/claim" in e]
    assert requests, "no request line for /keys/claim"
    print(f"PASS json logs: {len(lines)} lines, each one JSON object ({len(requests)} claim request lines)")


def main() -> None:
    binary = sys.argv[1]
    root = tempfile.mkdtemp(prefix="keyport-metrics-")
    metrics_port = free_port()
    server = KeyportServer(binary, os.path.join(root, "server"), extra_config=[
        f"  - {{port: {metrics_port}, bind_addresses: ['127.0.0.1'], type: metrics}}",
        "log_level: info",
        "log_format: json",
    ])
    # The metrics listener belongs to the listeners list: move it there.
    with open(server.config_path) as handle:
        text = handle.read()
    metrics_line = f"  - {{port: {metrics_port}, bind_addresses: ['127.0.0.1'], type: metrics}}\n"
    text = text.replace(metrics_line, "")
    text = text.replace("type: http}\n", "type: http}\n" + metrics_line, 1)
    with open(server.config_path, "w") as handle:
        handle.write(text)
    server.start()
    try:
        asyncio.run(workload(server, metrics_port, root))
    finally:
        server.stop()
    check_json_logs(os.path.join(server.workdir, "keyport.log"))


if __name__ == "__main__":
    main()
