#!/usr/bin/env python3
"""Generate differential test vectors for Keyport's MatrixRooms, with Synapse as the oracle.

    generate.py --seed N --out DIR [--dags K] [--auth-cases M] [--id-cases L]

Writes DIR/<kind>/<name>.json, kind being the `keyport events <kind>` subcommand (id, auth,
resolve), each {"input": {...CLI input...}, "expected": {...}, "meta": {...}}, plus
DIR/manifest.json (counts per kind, seed, Synapse version, command). Deterministic from the seed.
"""

import argparse
import copy
import json
import os
import random
import shutil
import sys
import time
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import oracle  # noqa: E402  (imports Synapse in the right order)
from auth_cases import AUTH_CATEGORIES, gen_auth, history  # noqa: E402
from rooms import CREATOR, USERS, Branch, Room  # noqa: E402

VERSIONS = oracle.VERSIONS


# =============================================================================================
# DAG cases


def gen_dag(v, rng):
    room = Room(v, rng)
    b = room.setup()
    for _ in range(rng.randint(1, 6)):
        room.random_step(b)
    rounds = rng.choice([1, 1, 2, 2, 3])
    merges = 0
    older = []
    for r in range(rounds):
        k = rng.choice([2, 2, 2, 3, 3, 4])
        branches = []
        for _ in range(k):
            br = b.copy()
            br.ts = b.ts + rng.choice([0, 1, 5, 100])
            for _ in range(rng.randint(1, 5)):
                room.random_step(br)
            branches.append(br)
            older.extend(br.history[:-1])
        if r < rounds - 1:
            sets = [list(br.state.values()) for br in branches]
            evs = room.closure(set().union(*map(set, sets)))
            resolved = oracle.resolve_events(v, [room.pdus[e] for e in evs], sets)
            nb = Branch(ts=max(br.ts for br in branches) + 1)
            nb.state = {(room.pdus[e]["type"], room.pdus[e]["state_key"]): e for e in resolved}
            nb.tips = sorted({t for br in branches for t in br.tips})
            # a merge event with all the tips as prev_events
            room.random_step(nb, tries=10)
            merges += 1
            for _ in range(rng.randint(0, 3)):
                room.random_step(nb)
            b = nb
    sets = [sorted(br.state.values()) for br in branches]
    if older and rng.random() < 0.25:
        sets.append(sorted(rng.choice(older).values()))
    # drop duplicate state sets but keep at least two
    uniq = []
    for s in sets:
        if s not in uniq:
            uniq.append(s)
    if len(uniq) < 2:
        return None
    sets = uniq
    ids = room.closure(set().union(*map(set, sets)))
    events = [room.pdus[e] for e in sorted(ids)]
    rng.shuffle(events)
    if oracle.conflicted_keys(v, events, sets) == 0:
        return None
    conflicted = oracle.conflicted_state(v, events, sets)
    stats = oracle.ResolutionStats()
    state = oracle.resolve_events(v, events, sets, stats=stats)
    other = oracle.resolve_events(v, events, sets, path="persisted")
    if state != other:
        raise AssertionError("Synapse's unpersisted and persisted paths disagree")
    meta = {
        "state_res": oracle.state_res_name(v),
        "events": len(events),
        "state_sets": len(sets),
        "conflicted_keys": oracle.conflicted_keys(v, events, sets),
        "conflicted_power_levels": int(("m.room.power_levels", "") in conflicted),
        "conflicted_join_rules": int(("m.room.join_rules", "") in conflicted),
        "conflicted_members": sum(1 for k in conflicted if k[0] == "m.room.member"),
        "auth_failures_during_resolution": stats.auth_failures,
        "merges": merges,
        "keys": {e: [room.pdus[e]["type"], room.pdus[e]["state_key"]] for e in sorted(ids)},
    }
    return {"input": {"room_version": v, "events": events, "state_sets": sets},
            "expected": {"state": sorted(state)}, "meta": meta}


# =============================================================================================
# id cases

TRICKY_STRINGS = [
    "plain", "", "ünïcødé", "日本語", "emoji 😀", "quote \" backslash \\ slash /",
    "ctl \u0001\u001f\u007f", "line\nsep\u2028para\u2029", "tab\t", "\ufeffbom", "null\u0000x",
    "e\u0301 vs \u00e9",
]
TRICKY_KEYS = ["a", "B", "b", "_", "aa", "a b", "ünï", "\uff61", "\U0001F600", "é", "e\u0301",
               "\u00e9x", "0", "10", "9", "$", "m.relates_to"]
TRICKY_INTS = [0, 1, -1, 42, 2**31, -(2**31), 2**53 - 1, -(2**53 - 1), 1000000]


def rand_value(rng, depth=0):
    r = rng.random()
    if depth > 2 or r < 0.35:
        return rng.choice(TRICKY_STRINGS)
    if r < 0.55:
        return rng.choice(TRICKY_INTS)
    if r < 0.62:
        return rng.choice([True, False, None])
    if r < 0.8:
        return [rand_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return rand_obj(rng, depth + 1)


def rand_obj(rng, depth=0, n=None):
    return {rng.choice(TRICKY_KEYS) + ("" if rng.random() < 0.7 else str(rng.randint(0, 9))):
            rand_value(rng, depth) for _ in range(rng.randint(0, 4) if n is None else n)}


def id_content(room, rng, type_):
    v = room.v
    if type_ == "m.room.create":
        c = {"room_version": v}
        if v == "10" or rng.random() < 0.3:
            c["creator"] = CREATOR
        if v == "12" and rng.random() < 0.6:
            c["additional_creators"] = ["@bob:b.test"]
        if rng.random() < 0.4:
            c["m.federate"] = rng.choice([True, False])
        if rng.random() < 0.3:
            c["predecessor"] = {"room_id": "!old:a.test", "event_id": "$old"}
        c["type"] = rng.choice(["m.space", "x"]) if rng.random() < 0.2 else None
        if c["type"] is None:
            del c["type"]
        return c
    if type_ == "m.room.member":
        c = {"membership": rng.choice(["join", "invite", "leave", "ban", "knock"]),
             "displayname": rng.choice(TRICKY_STRINGS)}
        if rng.random() < 0.3:
            c["join_authorised_via_users_server"] = "@carol:c.test"
        if rng.random() < 0.3:
            c["third_party_invite"] = {"display_name": "x", "signed": {
                "mxid": "@bob:b.test", "token": "t", "signatures": {"id.test": {"ed25519:0": "s"}}}}
        if rng.random() < 0.2:
            c["reason"] = "because"
        return c
    if type_ == "m.room.power_levels":
        c = {"users": {CREATOR: 100, "@bob:b.test": 50}, "users_default": 0,
             "events": {"m.room.name": 50}, "events_default": 0, "state_default": 50,
             "ban": 50, "kick": 50, "redact": 50, "invite": 0}
        for k in list(c):
            if rng.random() < 0.2:
                del c[k]
        if rng.random() < 0.5:
            c["notifications"] = {"room": 50}
        if rng.random() < 0.3:
            c["historical"] = 100
        return c
    if type_ == "m.room.join_rules":
        c = {"join_rule": rng.choice(["public", "invite", "restricted", "knock"])}
        if rng.random() < 0.6:
            c["allow"] = [{"type": "m.room_membership", "room_id": "!x:b.test"}]
        return c
    if type_ == "m.room.history_visibility":
        return {"history_visibility": rng.choice(["shared", "joined", "invited",
                                                  "world_readable"])}
    if type_ == "m.room.redaction":
        c = {"reason": rng.choice(TRICKY_STRINGS)}
        if v != "10" or rng.random() < 0.3:
            c["redacts"] = "$target_" + str(rng.randint(0, 99))
        return c
    if type_ == "m.room.aliases":
        return {"aliases": ["#a:a.test"]}
    if type_ == "m.room.server_acl":
        return {"allow": ["*"], "deny": ["evil.test"], "allow_ip_literals": False}
    if type_ == "m.room.encrypted":
        return {"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AAAA", "session_id": "s"}
    return {"body": rng.choice(TRICKY_STRINGS), "msgtype": "m.text"}


ID_TYPES = ["m.room.create", "m.room.member", "m.room.member", "m.room.power_levels",
            "m.room.join_rules", "m.room.history_visibility", "m.room.redaction",
            "m.room.redaction", "m.room.message", "m.room.topic", "m.room.aliases",
            "m.room.server_acl", "m.room.encrypted", "org.example.custom"]
STATE_TYPES = {"m.room.create", "m.room.member", "m.room.power_levels", "m.room.join_rules",
               "m.room.history_visibility", "m.room.topic", "m.room.aliases",
               "m.room.server_acl"}


def gen_id(v, rng):
    room = Room(v, rng)
    b = room.setup()
    type_ = rng.choice(ID_TYPES)
    content = id_content(room, rng, type_)
    if rng.random() < 0.5:
        content.update(rand_obj(rng))
    state_key = None
    if type_ in STATE_TYPES or (type_ == "org.example.custom" and rng.random() < 0.5):
        state_key = rng.choice(USERS) if type_ == "m.room.member" else \
            "" if type_ == "m.room.create" else rng.choice(["", "", "x", "😀"])
    sender = rng.choice(USERS)
    extras = {}
    if rng.random() < 0.4:
        for _ in range(rng.randint(1, 3)):
            k = rng.choice(["origin", "membership", "prev_state", "org.example.top", "age",
                            "redacts", "foo"])
            extras[k] = rand_value(rng, 2) if k not in ("origin",) else "a.test"
    if type_ == "m.room.redaction" and (v == "10" or rng.random() < 0.3):
        extras["redacts"] = "$top_" + str(rng.randint(0, 99))
    if rng.random() < 0.25:
        extras["unsigned"] = {"age_ts": rng.randint(0, 10**12),
                              "age": rng.randint(0, 1000)}
        if rng.random() < 0.5:
            extras["unsigned"]["replaces_state"] = "$old"
    prev = b.tips if type_ != "m.room.create" else []
    auth = None if type_ != "m.room.create" else []

    def tweak(d):
        d.update(copy.deepcopy(extras))

    wrong = rng.random() < 0.25
    pdu = room.build(b, type_, sender, content, state_key, prev=prev, auth=auth, tweak=tweak)
    how = None
    if wrong:
        how = rng.choice(["content", "top", "hash"])
        if how == "content":
            pdu["content"]["tampered"] = True
        elif how == "top":
            pdu["origin_server_ts"] += 1
        else:
            h = pdu["hashes"]["sha256"]
            pdu["hashes"]["sha256"] = ("A" if h[0] != "A" else "B") + h[1:]
    if rng.random() < 0.1:
        pdu["hashes"]["sha512"] = "not-checked"
    return {"input": {"room_version": v, "event": pdu}, "expected": oracle.id_answer(v, pdu),
            "meta": {"type": type_, "tampered": how}}


# =============================================================================================


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--dags", type=int, default=300)
    ap.add_argument("--auth-cases", type=int, default=300)
    ap.add_argument("--id-cases", type=int, default=100)
    ap.add_argument("--command", default=None, help="command line recorded in the manifest")
    args = ap.parse_args(argv)
    t0 = time.time()
    out = args.out
    for kind in ("id", "auth", "resolve"):
        shutil.rmtree(os.path.join(out, kind), ignore_errors=True)
        os.makedirs(os.path.join(out, kind))
    counts = {}
    stats = defaultdict(Counter)

    def write(kind, name, case):
        with open(os.path.join(out, kind, name + ".json"), "w") as f:
            json.dump(case, f, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
            f.write("\n")

    # id
    rng = random.Random(f"{args.seed}:id")
    for i in range(args.id_cases):
        v = VERSIONS[i % 3]
        case = gen_id(v, rng)
        write("id", f"v{v}-{i:04d}", case)
        stats["id"][f"v{v} content_hash_ok={case['expected']['content_hash_ok']}"] += 1
    counts["id"] = args.id_cases
    t_id = time.time()

    # auth, balanced towards half allowed in each category
    rng = random.Random(f"{args.seed}:auth")
    cats, weights = zip(*AUTH_CATEGORIES)
    per = Counter()
    for i in range(args.auth_cases):
        v = VERSIONS[i % 3]
        cat = rng.choices(cats, weights)[0]
        for attempt in range(8):
            case = gen_auth(v, rng, cat)
            ok = case["expected"]["allowed"]
            a, r = per[(cat, True)], per[(cat, False)]
            # re-draw when this side is already over-represented in the category
            if attempt < 7 and (a + r) >= 4 and ((ok and a > 1.4 * r) or (not ok and r > 1.4 * a)):
                continue
            break
        per[(cat, ok)] += 1
        write("auth", f"v{v}-{i:04d}", case)
        stats["auth"][f"v{v} allowed={ok}"] += 1
        stats["auth_cat"][f"{cat} allowed={ok}"] += 1
    counts["auth"] = args.auth_cases
    t_auth = time.time()

    # resolve
    rng = random.Random(f"{args.seed}:resolve")
    dag_meta = defaultdict(list)
    i = 0
    while i < args.dags:
        v = VERSIONS[i % 3]
        case = gen_dag(v, rng)
        if case is None:
            continue
        write("resolve", f"v{v}-{i:04d}", case)
        for k, x in case["meta"].items():
            if isinstance(x, int):
                dag_meta[(v, k)].append(x)
        i += 1
    counts["resolve"] = args.dags
    t_res = time.time()

    manifest = {
        "seed": args.seed,
        "synapse": oracle.SYNAPSE_VERSION,
        "counts": counts,
        "command": args.command or "generate.py " + " ".join(argv or sys.argv[1:]),
        "public_keys": oracle.public_keys(["a.test", "b.test", "c.test"]),
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")

    print(f"seed {args.seed}, Synapse {oracle.SYNAPSE_VERSION}: wrote {counts} to {out}")
    print(f"time: id {t_id - t0:.1f}s, auth {t_auth - t_id:.1f}s, "
          f"resolve {t_res - t_auth:.1f}s, total {t_res - t0:.1f}s")
    for k in ("id", "auth", "auth_cat"):
        print(f"{k}:")
        for key in sorted(stats[k]):
            print(f"  {key}: {stats[k][key]}")
    print("resolve (per version: min/mean/max):")
    for (v, k), xs in sorted(dag_meta.items()):
        nz = sum(1 for x in xs if x > 0)
        print(f"  v{v} {k}: {min(xs)}/{sum(xs) / len(xs):.1f}/{max(xs)}  (nonzero in {nz}/{len(xs)})")


if __name__ == "__main__":
    main()
