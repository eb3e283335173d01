#!/usr/bin/env python3
"""Replay generated vectors through `keyport events <kind> FILE` and compare with Synapse.

    compare.py --keyport .build/debug/keyport DIR
    compare.py --self-check DIR           # answers from reference_cli.py (Synapse), in-process
    compare.py --command "python3 tests/rooms_oracle/reference_cli.py" DIR   # any CLI

DIR holds <kind>/<name>.json cases and manifest.json from generate.py. Compares, per kind:
id: event_id, redacted (exact JSON equality), content_hash_ok; auth: allowed; resolve: state
as a set. Prints a summary per kind and room version and every mismatch with its case file.
Exits 1 on any mismatch, CLI failure, or a run of fewer cases than the manifest counts (a run
of no cases is a failure too). Needs only the Python standard library, except --self-check.
"""

import argparse
import glob
import io
import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

KINDS = ("id", "auth", "resolve")


def canon(x) -> str:
    """Canonical text, so that true != 1 and 1 != 1.0 (Python's == conflates them)."""
    return json.dumps(x, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def diff_paths(got, want, path="$"):
    """Where two JSON values differ, as paths like $.content.users."""
    if isinstance(got, dict) and isinstance(want, dict):
        out = []
        for k in sorted(set(got) | set(want)):
            p = f"{path}.{k}"
            if k not in got:
                out.append(p + " (missing)")
            elif k not in want:
                out.append(p + " (extra)")
            else:
                out.extend(diff_paths(got[k], want[k], p))
        return out
    if isinstance(got, list) and isinstance(want, list) and len(got) == len(want):
        return [q for i, (a, b) in enumerate(zip(got, want)) for q in diff_paths(a, b, f"{path}[{i}]")]
    return [] if canon(got) == canon(want) else [f"{path} (got {canon(got)[:80]}, want {canon(want)[:80]})"]


def compare_case(kind, case, got):
    """A list of problems (empty when the answer matches)."""
    exp = case["expected"]
    if not isinstance(got, dict):
        return [f"output is not a JSON object: {canon(got)[:200]}"]
    probs = []
    if kind == "id":
        if got.get("event_id") != exp["event_id"]:
            probs.append(f"event_id: got {got.get('event_id')!r}, want {exp['event_id']!r}")
        if canon(got.get("redacted")) != canon(exp["redacted"]):
            probs.append("redacted differs at: " + ", ".join(
                diff_paths(got.get("redacted"), exp["redacted"])[:10]))
        if got.get("content_hash_ok") is not exp["content_hash_ok"]:
            probs.append(f"content_hash_ok: got {canon(got.get('content_hash_ok'))}, "
                         f"want {canon(exp['content_hash_ok'])}")
    elif kind == "auth":
        if got.get("allowed") is not exp["allowed"]:
            probs.append(f"allowed: got {canon(got.get('allowed'))} ({got.get('reason')!r}), "
                         f"want {canon(exp['allowed'])} (Synapse: {exp.get('reason')!r}); "
                         f"category {case.get('meta', {}).get('category')}")
    else:
        st = got.get("state")
        if not isinstance(st, list) or not all(isinstance(e, str) for e in st):
            return [f"state is not a list of event IDs: {canon(st)[:200]}"]
        if len(set(st)) != len(st):
            probs.append("state lists an event more than once")
        want, have = set(exp["state"]), set(st)
        if want != have:
            keys = case_keys(case)
            missing = sorted(want - have)
            extra = sorted(have - want)
            probs.append("state differs:\n" + "\n".join(
                [f"            missing {e} {keys.get(e, '?')}" for e in missing]
                + [f"            extra   {e} {keys.get(e, '?')}" for e in extra]))
    return probs


def case_keys(case):
    """event ID -> [type, state_key] for a resolve case's events (the generator records them
    in meta, since computing IDs here would need canonical JSON and redaction)."""
    return case.get("meta", {}).get("keys", {})


def load_cases(root):
    cases = []
    for kind in KINDS:
        for path in sorted(glob.glob(os.path.join(root, kind, "*.json"))):
            with open(path, encoding="utf-8") as f:
                cases.append((kind, path, json.load(f)))
    return cases


def make_runner(args):
    if args.self_check:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import reference_cli

        def run(kind, path_in):
            out, err = io.StringIO(), io.StringIO()
            rc = reference_cli.main(["events", kind, path_in], stdout=out, stderr=err)
            return rc, out.getvalue(), err.getvalue()

        return run, 1  # Synapse is not thread-safe to share; one at a time
    prefix = [args.keyport] if args.keyport else shlex.split(args.command)

    def run(kind, path_in):
        try:
            p = subprocess.run(prefix + ["events", kind, path_in], capture_output=True,
                               text=True, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            return -1, "", f"timed out after {args.timeout}s"
        except OSError as e:
            return -1, "", f"could not run {prefix}: {e}"
        return p.returncode, p.stdout, p.stderr

    return run, args.jobs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    who = ap.add_mutually_exclusive_group(required=True)
    who.add_argument("--keyport", help="path to the keyport executable")
    who.add_argument("--command", help="a command line standing in for keyport")
    who.add_argument("--self-check", action="store_true",
                     help="answer with reference_cli.py (Synapse) in-process")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--kind", choices=KINDS, action="append",
                    help="only these kinds (default: all)")
    ap.add_argument("dir")
    args = ap.parse_args(argv)

    with open(os.path.join(args.dir, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    kinds = args.kind or list(KINDS)
    cases = [c for c in load_cases(args.dir) if c[0] in kinds]
    run, jobs = make_runner(args)
    tmp = tempfile.mkdtemp(prefix="rooms-oracle-")

    def one(item):
        idx, (kind, path, case) = item
        fin = os.path.join(tmp, f"{idx}.json")
        with open(fin, "w", encoding="utf-8") as f:
            json.dump(case["input"], f, ensure_ascii=False)
        rc, out, err = run(kind, fin)
        os.unlink(fin)
        if rc != 0:
            return [f"CLI failed (exit {rc}): {err.strip()[:500]}"]
        try:
            got = json.loads(out)
        except json.JSONDecodeError as e:
            return [f"stdout is not JSON ({e}): {out[:300]!r}"]
        return compare_case(kind, case, got)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
        results = list(ex.map(one, enumerate(cases)))
    os.rmdir(tmp)

    summary = defaultdict(lambda: [0, 0])
    failures = []
    for (kind, path, case), probs in zip(cases, results):
        v = case["input"].get("room_version")
        summary[(kind, v)][1 if probs else 0] += 1
        if probs:
            failures.append((path, probs))

    print(f"vectors: {args.dir} (seed {manifest.get('seed')}, Synapse {manifest.get('synapse')})")
    target = "reference_cli (Synapse)" if args.self_check else (args.keyport or args.command)
    print(f"against: {target}")
    for kind in kinds:
        for v in ("10", "11", "12"):
            ok, bad = summary.get((kind, v), (0, 0))
            if ok or bad:
                print(f"  {kind:8s} v{v}: {ok} passed, {bad} failed")
    for path, probs in failures:
        print(f"MISMATCH {path}")
        for p in probs:
            print(f"    {p}")

    short = []
    for kind in kinds:
        want = manifest.get("counts", {}).get(kind, 0)
        ran = sum(ok + bad for (k, _), (ok, bad) in summary.items() if k == kind)
        if ran == 0 or ran != want:
            short.append(f"{kind}: ran {ran} cases, manifest says {want}")
    for s in short:
        print(f"COUNT {s}")
    passed = sum(ok for ok, _ in summary.values())
    failed = sum(bad for _, bad in summary.values())
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or short else 0


if __name__ == "__main__":
    sys.exit(main())
