#!/usr/bin/env python3
"""The `keyport events` command-line contract, answered by Synapse, to check the pipeline.

    reference_cli.py events id FILE       {"room_version", "event"}
    reference_cli.py events auth FILE     {"room_version", "event", "auth_events"}
    reference_cli.py events resolve FILE  {"room_version", "events", "state_sets"}

Prints the answer as JSON on stdout and exits 0; on bad input prints a message on stderr and
exits 2. It recomputes everything from the input alone (event IDs from the PDUs' reference
hashes, the state sets' keys from the events), and resolves through Synapse's persisted-store
path where the generator used the unpersisted one, so a self-check run exercises the vectors
as Keyport will see them.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import oracle  # noqa: E402


class BadInput(Exception):
    pass


def answer(kind: str, doc) -> dict:
    if not isinstance(doc, dict):
        raise BadInput("input must be a JSON object")
    v = doc.get("room_version")
    if v not in oracle.VERSIONS:
        raise BadInput(f"unsupported room_version {v!r}")
    try:
        if kind == "id":
            return oracle.id_answer(v, doc["event"])
        if kind == "auth":
            return oracle.auth_answer(v, doc["event"], doc["auth_events"])
        if kind == "resolve":
            state = oracle.resolve_events(v, doc["events"], doc["state_sets"], path="persisted")
            return {"state": sorted(state)}
    except (KeyError, TypeError, ValueError) as e:
        raise BadInput(f"bad input: {type(e).__name__}: {e}")
    except Exception as e:  # Synapse's own parse errors (SynapseError, RuntimeError...)
        raise BadInput(f"bad input: {type(e).__name__}: {e}")
    raise BadInput(f"unknown command events {kind}")


def main(argv=None, stdout=None, stderr=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    if len(argv) != 3 or argv[0] != "events" or argv[1] not in ("id", "auth", "resolve"):
        print("usage: reference_cli.py events (id|auth|resolve) FILE", file=stderr)
        return 2
    try:
        with open(argv[2], encoding="utf-8") as f:
            doc = json.load(f)
        out = answer(argv[1], doc)
    except (OSError, json.JSONDecodeError, BadInput) as e:
        print(f"error: {e}", file=stderr)
        return 2
    stdout.write(json.dumps(out, ensure_ascii=False, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
