"""The keyport-client CLI as the end-to-end scripts drive it: one device per store directory,
one JSON object per output line. Shared by client_e2e.py (with matrix-nio) and mautrix_e2e.py."""

import json
import os
import subprocess

PASSWORD = "e2e-password"


class CLI:
    """One keyport-client device: a store directory and the binary."""

    def __init__(self, binary: str, url: str, store: str, name: str):
        self.binary = binary
        self.url = url
        self.store = store
        self.name = name
        self.device_id = None

    def argv(self, *args: str) -> list[str]:
        return [self.binary, "--homeserver", self.url, "--store", self.store, *args]

    def run(self, *args: str, ok: bool = True) -> list[dict]:
        result = subprocess.run(self.argv(*args), capture_output=True, text=True, timeout=120)
        if ok and result.returncode != 0:
            raise AssertionError(f"{self.name} {' '.join(args)} exited {result.returncode}: {result.stderr}")
        lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
        if not ok:
            return [{"returncode": result.returncode, "stderr": result.stderr}]
        return lines

    def one(self, *args: str) -> dict:
        lines = self.run(*args)
        assert len(lines) == 1, f"{self.name} {args}: expected one line, got {lines}"
        return lines[0]

    def messages(self, room_id: str) -> list[dict]:
        lines = self.run("messages", room_id)
        ids = [line["event_id"] for line in lines]
        assert len(ids) == len(set(ids)), f"{self.name}: an event appears twice in messages: {ids}"
        return lines

    def texts(self, room_id: str) -> dict[str, dict]:
        """Decrypted m.room.message bodies → their lines."""
        out = {}
        for line in self.messages(room_id):
            if line.get("type") == "m.room.message" and line.get("decrypted"):
                body = line["content"].get("body")
                assert body not in out, f"{self.name}: body {body!r} appears twice"
                out[body] = line
        return out


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


async def with_server(server, body):
    """Starts `server`, awaits `body()`, stops the server; on failure prints the end of its log."""
    server.start()
    try:
        return await body()
    except Exception:
        print(f"--- server log ({server.workdir}/keyport.log) ---")
        with open(os.path.join(server.workdir, "keyport.log")) as log:
            print(log.read()[-4000:])
        raise
    finally:
        server.stop()
