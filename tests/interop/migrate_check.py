#!/usr/bin/env python3
"""`keyport migrate-sqlite-to-postgres` end to end, with the built binary and a real PostgreSQL.

A SQLite deployment gets a user with a password, a room with a message, one-time keys and a
to-device message waiting; it is stopped and ported to a fresh PostgreSQL database with the
command; then `keyport serve` on PostgreSQL must log the user in with the old password and answer
for the room, the keys and the waiting message. Porting again into the now-filled database must be
refused with exit status 1.

Usage: migrate_check.py PATH_TO_KEYPORT_BINARY (KEYPORT_TEST_POSTGRES names the server)
"""

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error

from keyport_server import KeyportServer

PASSWORD = "the-old-password"


def postgres_settings() -> dict[str, str]:
    value = os.environ.get("KEYPORT_TEST_POSTGRES", "")
    if not value:
        sys.exit("KEYPORT_TEST_POSTGRES is not set: start a cluster with scripts/postgres_cluster.sh start")
    pairs = dict(item.split("=", 1) for item in value.split())
    return {"host": pairs.get("host", "127.0.0.1"), "port": pairs.get("port", "5432"), "user": pairs.get("user", "postgres")}


def psql(settings: dict[str, str], sql: str) -> None:
    binary = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))[-1]
    subprocess.run([binary, "-h", settings["host"], "-p", settings["port"], "-U", settings["user"], "-d", "postgres",
                    "-q", "-c", sql], check=True)


def login(server: KeyportServer, password: str) -> dict:
    return server.request("POST", "/_matrix/client/v3/login", body={
        "type": "m.login.password", "identifier": {"type": "m.id.user", "user": "alice"}, "password": password})


def fill(server: KeyportServer) -> dict:
    """A user, a room with a message, one-time keys and a to-device message waiting."""
    alice = server.request("POST", "/_matrix/client/v3/register",
                           body={"username": "alice", "password": PASSWORD, "auth": {"type": "m.login.dummy"}})
    token = alice["access_token"]
    room = server.request("POST", "/_matrix/client/v3/createRoom", token=token, body={"name": "before the port"})
    server.request("PUT", f"/_matrix/client/v3/rooms/{room['room_id']}/send/m.room.message/t1", token=token,
                   body={"msgtype": "m.text", "body": "written on SQLite"})
    keys = {f"curve25519:K{n}": f"a2V5LW51bWJlci17bn0{n}" for n in range(5)}
    counts = server.request("POST", "/_matrix/client/v3/keys/upload", token=token, body={"one_time_keys": keys})
    server.request("PUT", "/_matrix/client/v3/sendToDevice/m.test/td1", token=token,
                   body={"messages": {alice["user_id"]: {alice["device_id"]: {"waiting": True}}}})
    return {"room_id": room["room_id"], "token": token, "counts": counts["one_time_key_counts"]}


def main() -> None:
    binary = sys.argv[1]
    settings = postgres_settings()
    database = f"keyport_migrate_check_{os.getpid()}"
    root = tempfile.mkdtemp(prefix="keyport-migrate-check-")
    sqlite = KeyportServer(binary, os.path.join(root, "sqlite"))
    sqlite.start()
    try:
        before = fill(sqlite)
    finally:
        sqlite.stop()

    psql(settings, f"CREATE DATABASE {database}")
    try:
        postgres = KeyportServer(binary, os.path.join(root, "postgres"), port=sqlite.port)
        with open(sqlite.config_path) as handle:
            config = handle.read()
        sqlite_database = f"  name: sqlite3\n  args: {{database: {sqlite.workdir}/keyport.db}}\n"
        assert sqlite_database in config, config
        config = config.replace(sqlite_database, (
            "  name: psycopg2\n"
            f"  args: {{user: {settings['user']}, dbname: {database}, host: {settings['host']}, "
            f"port: {settings['port']}, cp_min: 1, cp_max: 4}}\n"))
        with open(postgres.config_path, "w") as handle:
            handle.write(config)

        command = [binary, "migrate-sqlite-to-postgres", "--from", f"{sqlite.workdir}/keyport.db",
                   "--to-config", postgres.config_path]
        ported = subprocess.run(command, capture_output=True, text=True)
        print(ported.stdout, end="")
        print(ported.stderr, end="")
        assert ported.returncode == 0, ported.returncode
        assert "Copied " in ported.stdout and "Copying rows: " in ported.stderr

        postgres.start()
        try:
            session = login(postgres, PASSWORD)
            token = session["access_token"]
            try:
                login(postgres, "a-wrong-password")
                raise AssertionError("a wrong password logged in")
            except urllib.error.HTTPError as error:
                assert error.code == 403, error.code
            rooms = postgres.request("GET", "/_matrix/client/v3/joined_rooms", token=token)["joined_rooms"]
            assert rooms == [before["room_id"]], rooms
            messages = postgres.request(
                "GET", f"/_matrix/client/v3/rooms/{before['room_id']}/messages?dir=b&limit=10", token=token)
            bodies = [event["content"].get("body") for event in messages["chunk"]]
            assert "written on SQLite" in bodies, bodies
            assert before["room_id"] in postgres.request("GET", "/_matrix/client/v3/sync?timeout=0", token=token)["rooms"]["join"]
            # The device logged in on SQLite keeps its token, its one-time keys and its waiting message.
            old = before["token"]
            counts = postgres.request("POST", "/_matrix/client/v3/keys/upload", token=old, body={})
            assert counts["one_time_key_counts"] == before["counts"], (counts, before["counts"])
            sync = postgres.request("GET", "/_matrix/client/v3/sync?timeout=0", token=old)
            waiting = [event["content"] for event in sync.get("to_device", {}).get("events", [])]
            assert waiting == [{"waiting": True}], waiting
        finally:
            postgres.stop()

        again = subprocess.run(command, capture_output=True, text=True)
        assert again.returncode == 1, again.returncode
        assert "already holds Keyport data" in again.stderr, again.stderr
        print("migrate check ok: ported, logged in with the old password, room and messages there, second port refused")
    finally:
        psql(settings, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
