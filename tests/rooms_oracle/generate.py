#!/usr/bin/env python3
"""Generate differential test vectors for Keyport's MatrixRooms, with Synapse as the oracle.

    generate.py --seed N --out DIR [--dags K] [--auth-cases M] [--id-cases L]

Writes DIR/<kind>/<name>.json, kind being the `keyport events <kind>` subcommand (id, auth,
resolve), each {"input": {...CLI input...}, "expected": {...}, "meta": {...}}, plus
DIR/manifest.json (counts per kind, seed, Synapse version, command). Deterministic from the seed.
"""

import argparse
import base64
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
from rooms import CREATOR, CREATOR_PL, USERS, Branch, Room  # noqa: E402
from signedjson.key import decode_signing_key_base64, get_verify_key  # noqa: E402
from signedjson.sign import sign_json  # noqa: E402

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
# auth cases

AUTH_CATEGORIES = [
    ("membership", 10), ("power_levels", 5), ("state", 3), ("message_redaction", 2),
    ("restricted", 3), ("auth_events", 2), ("create", 1.5), ("third_party_invite", 1.5),
    ("not_in_room", 1), ("federate", 0.7),
]


def history(room, rng, **setup):
    b = room.setup(**setup)
    for _ in range(rng.randint(2, 12)):
        room.random_step(b)
    return b


def auth_membership(room, b, rng):
    st = b.state
    kind = rng.choice(["join", "join", "invite", "leave", "kick", "ban", "unban", "knock"])
    s = room.pick_sender(st, 0.7)
    t = rng.choice(USERS)
    if kind == "join":
        if rng.random() < 0.15:  # someone trying to join someone else
            return room.build(b, "m.room.member", s, {"membership": "join"}, t)
        return room.build(b, "m.room.member", t, {"membership": "join"}, t)
    if kind == "invite":
        return room.build(b, "m.room.member", s, {"membership": "invite"}, t)
    if kind == "leave":
        pool = room.members(st) + room.members(st, "invite") + room.members(st, "knock")
        u = rng.choice(pool) if pool and rng.random() < 0.8 else t
        return room.build(b, "m.room.member", u, {"membership": "leave"}, u)
    if kind == "kick":
        pool = room.members(st) + room.members(st, "invite")
        t = rng.choice(pool) if pool else t
        return room.build(b, "m.room.member", s, {"membership": "leave"}, t)
    if kind == "ban":
        return room.build(b, "m.room.member", s, {"membership": "ban"}, t)
    if kind == "unban":
        pool = room.members(st, "ban")
        if not pool:
            # ban someone first (as the most powerful member) so there is someone to unban
            victim = rng.choice(USERS[1:])
            room.attempt(b, "m.room.member", room.best(st), {"membership": "ban"}, victim)
            pool = room.members(b.state, "ban") or [victim]
        return room.build(b, "m.room.member", s, {"membership": "leave"}, rng.choice(pool))
    # knock
    if rng.random() < 0.5:
        room.set_join_rule(b, room.best(st), rng.choice(["knock", "knock_restricted"]))
    return room.build(b, "m.room.member", t, {"membership": "knock"},
                      t if rng.random() < 0.9 else s)


def auth_power_levels(room, b, rng):
    st = b.state
    s = room.pick_sender(st, 0.9)
    cur = room.content(st, "m.room.power_levels") or {}
    need = cur.get("events", {}).get("m.room.power_levels", cur.get("state_default", 50))
    able = [u for u in room.members(st) if room.power(st, u) >= need]
    if able and rng.random() < 0.7:
        s = rng.choice(able)  # get past "may send power_levels" to the finer rules
    pl = room.random_pl(st, s)
    mine = room.power(st, s)
    users = pl.setdefault("users", {})
    peers = [u for u, lv in users.items() if u != s and lv == mine]
    above = [u for u, lv in users.items() if u != s and lv > mine]
    r0 = rng.random()
    if r0 < 0.15 and peers:
        users[rng.choice(peers)] = rng.choice([0, mine - 1])  # demote an equal
    elif r0 < 0.25 and above:
        users[rng.choice(above)] = 0  # demote someone above
    elif r0 < 0.35 and mine < CREATOR_PL:
        users[rng.choice([u for u in USERS if u != s])] = mine + rng.choice([0, 1])
    elif r0 < 0.42 and mine < CREATOR_PL:
        pl[rng.choice(["users_default", "ban", "state_default"])] = mine + rng.choice([0, 1])
    r = rng.random()
    if room.v == "12" and r < 0.15:
        c = rng.choice(sorted(room.creators))
        pl.setdefault("users", {})[c] = rng.choice([100, 0, 50])  # creators may not be listed
    elif r < 0.22:
        k = rng.choice(["ban", "kick", "users_default"])
        pl[k] = str(pl.get(k, 50))  # string levels are invalid since v10
    elif r < 0.27:
        pl.setdefault("users", {})[rng.choice(USERS)] = "50"
    elif r < 0.32:
        pl.setdefault("users", {})["not-a-user-id"] = 10
    elif r < 0.40:
        # the sender tries to give themselves more than they have
        pl.setdefault("users", {})[s] = room.power(st, s) + rng.choice([1, 25])
        if room.v == "12" and s in room.creators:
            pl["users"].pop(s)
    return room.build(b, "m.room.power_levels", s, pl, "")


def auth_state(room, b, rng):
    st = b.state
    s = room.pick_sender(st, 0.85)
    choice = rng.random()
    if choice < 0.3:
        return room.build(b, "m.room.topic", s, {"topic": "t"}, "")
    if choice < 0.45:
        return room.build(b, "m.room.name", s, {"name": "n"}, "")
    if choice < 0.6:
        return room.build(b, "m.room.join_rules", s,
                          room.join_rule_content(rng.choice(["public", "invite", "knock"])), "")
    if choice < 0.75:
        other = rng.choice([u for u in USERS if u != s])
        return room.build(b, "org.example.state", s, {"x": 1}, rng.choice([s, other, s + "_x"]))
    if choice < 0.85:
        return room.build(b, "m.room.history_visibility", s, {"history_visibility": "shared"},
                          "")
    return room.build(b, "org.example.state", s, {"x": 2}, rng.choice(["", "k", "@"]))


def auth_message_redaction(room, b, rng):
    st = b.state
    s = room.pick_sender(st, 0.8)
    if rng.random() < 0.5:
        return room.build(b, rng.choice(["m.room.message", "org.example.event"]), s,
                          {"body": "hi", "msgtype": "m.text"})
    target = rng.choice(sorted(room.pdus))
    if room.v == "10":
        return room.build(b, "m.room.redaction", s, {"reason": "spam"},
                          tweak=lambda d: d.__setitem__("redacts", target))
    return room.build(b, "m.room.redaction", s, {"redacts": target, "reason": "spam"})


def auth_restricted(room, b, rng):
    st = b.state
    room.set_join_rule(b, room.best(st), rng.choice(["restricted", "knock_restricted"]))
    if rng.random() < 0.3:
        pl = copy.deepcopy(room.content(b.state, "m.room.power_levels"))
        pl["invite"] = rng.choice([50, 75, 100])
        room.attempt(b, "m.room.power_levels", room.best(b.state), pl, "")
    st = b.state
    outside = [u for u in USERS if room.membership(st, u) != "join"] or USERS
    joiner = rng.choice(outside)
    r = rng.random()
    if r < 0.45:
        a = room.pick_authoriser(st) or rng.choice(USERS)
    elif r < 0.7:
        a = rng.choice(USERS)  # maybe not joined, maybe not allowed to invite
    else:
        a = None
    content = {"membership": "join"}
    servers = []
    if a:
        content["join_authorised_via_users_server"] = a
        if rng.random() < 0.85:
            servers = [oracle.domain(a)]  # the authorising server signs; sometimes it does not
    return room.build(b, "m.room.member", joiner, content, joiner, extra_servers=servers)


def auth_events_selection(room, b, rng):
    """A valid-looking event whose auth_events are wrong in some way."""
    st = b.state
    s = room.best(st)
    pdu_args = ("m.room.topic", s, {"topic": "x"}, "")
    auth = room.auth_ids(st, *pdu_args[:2], pdu_args[3], pdu_args[2])
    extra = None
    r = rng.random()
    if r < 0.25 and ("m.room.join_rules", "") in st:
        auth = auth + [st[("m.room.join_rules", "")]]  # not a selected type for a topic
    elif r < 0.4 and room.v != "12":
        auth = [a for a in auth if a != room.create_id]  # no create event
    elif r < 0.55:
        # two member events for the sender
        older = [e for e, p in room.pdus.items()
                 if p["type"] == "m.room.member" and p.get("state_key") == s
                 and e not in auth]
        if older:
            auth = auth + [older[0]]
    elif r < 0.7:
        auth = [a for a in auth if room.pdus[a]["type"] != "m.room.power_levels"]
    elif r < 0.85:
        # an auth event from another room
        other = Room(room.v, random.Random(rng.random()))
        ob = other.setup(join_rule="public")
        pl_id = ob.state[("m.room.power_levels", "")]
        auth = [a for a in auth if room.pdus[a]["type"] != "m.room.power_levels"] + [pl_id]
        extra = {pl_id: other.pdus[pl_id]}
        if room.v == "12":
            extra[other.create_id] = other.pdus[other.create_id]
    else:
        # superseded (older) state events as auth events
        olds = [e for e, p in room.pdus.items()
                if p["type"] == "m.room.power_levels" and e not in auth]
        if olds:
            auth = [a for a in auth if room.pdus[a]["type"] != "m.room.power_levels"] + \
                   [rng.choice(olds)]
    pdu = room.build(b, *pdu_args, auth=auth)
    return pdu, extra


def auth_create(room, b, rng):
    v = room.v
    content = {"room_version": v}
    if v == "10":
        content["creator"] = CREATOR
    sender = CREATOR
    prev = []
    r = rng.random()
    if r < 0.12 and v == "10":
        content.pop("creator")
    elif r < 0.24:
        prev = [room.create_id]
    elif r < 0.36:
        content["room_version"] = rng.choice(["99", "org.example.v1"])
    elif r < 0.48 and v != "12":
        sender = "@bob:b.test"  # room ID domain a.test
    elif r < 0.7 and v == "12":
        content["additional_creators"] = rng.choice([
            ["@bob:b.test"], ["@bob:b.test", "@carol:c.test"], "@bob:b.test", ["bob"],
            [1], ["@bob:b.test", None], []])
    elif r < 0.8:
        content.pop("room_version")
    elif r < 0.9:
        content["m.federate"] = rng.choice([True, False])
    tmp = Branch(ts=b.ts + 5)
    pdu = room.build(tmp, "m.room.create", sender, content, "", auth=[], prev=prev)
    return pdu


def auth_third_party_invite(room, b, rng):
    st = b.state
    inviter = room.best(st)
    idkey = decode_signing_key_base64(
        "ed25519", "0", base64.b64encode(bytes([rng.randrange(256) for _ in range(32)]))
        .decode().rstrip("="))
    pub = base64.b64encode(get_verify_key(idkey).encode()).decode().rstrip("=")
    token = "tok%d" % rng.randint(0, 10**6)
    tpi = {"display_name": "e...@example.org", "key_validity_url": "https://id.test/isvalid",
           "public_key": pub}
    if rng.random() < 0.3:
        # the right key only in public_keys; public_key holds another (valid) key. A public
        # key that is not 32 bytes makes Synapse raise nacl's ValueError (not an AuthError),
        # so no case carries one.
        wrong = base64.b64encode(b"\x09" * 32).decode().rstrip("=")
        wrong = base64.b64encode(get_verify_key(decode_signing_key_base64(
            "ed25519", "0", wrong)).encode()).decode().rstrip("=")
        tpi = {"display_name": "e...", "public_keys": [{"public_key": pub}],
               "public_key": wrong}
    if rng.random() < 0.9:
        room.attempt(b, "m.room.third_party_invite", inviter, tpi, token)
    target = rng.choice(USERS[1:])
    signed = {"mxid": target, "token": token}
    r = rng.random()
    sender = inviter
    if r < 0.15:
        signed["mxid"] = rng.choice([u for u in USERS if u != target])
    elif r < 0.3:
        other = decode_signing_key_base64("ed25519", "0", base64.b64encode(b"\x07" * 32)
                                          .decode().rstrip("="))
        idkey = other  # signed with a key the invite does not list
    elif r < 0.45:
        sender = rng.choice([u for u in room.members(st) if u != inviter] or USERS[1:])
    elif r < 0.55:
        room.attempt(b, "m.room.member", inviter, {"membership": "ban"}, target)
    signed = sign_json(signed, "id.test", idkey)
    content = {"membership": "invite",
               "third_party_invite": {"display_name": "e...", "signed": signed}}
    return room.build(b, "m.room.member", sender, content, target)


def auth_not_in_room(room, b, rng):
    st = b.state
    outside = [u for u in USERS if room.membership(st, u) != "join"] or [USERS[-1]]
    s = rng.choice(outside)
    if rng.random() < 0.5:
        return room.build(b, "m.room.message", s, {"body": "x"})
    return room.build(b, "m.room.topic", s, {"topic": "x"}, "")


def gen_auth(v, rng, category):
    room = Room(v, rng)
    federate = False if category == "federate" else None
    b = history(room, rng, federate=federate)
    extra = None
    if category == "membership":
        pdu = auth_membership(room, b, rng)
    elif category == "power_levels":
        pdu = auth_power_levels(room, b, rng)
    elif category == "state":
        pdu = auth_state(room, b, rng)
    elif category == "message_redaction":
        pdu = auth_message_redaction(room, b, rng)
    elif category == "restricted":
        pdu = auth_restricted(room, b, rng)
    elif category == "auth_events":
        pdu, extra = auth_events_selection(room, b, rng)
    elif category == "create":
        pdu = auth_create(room, b, rng)
    elif category == "third_party_invite":
        pdu = auth_third_party_invite(room, b, rng)
    elif category == "not_in_room":
        pdu = auth_not_in_room(room, b, rng)
    else:  # federate: someone acts in an m.federate=false room (created on a.test)
        u = rng.choice(USERS[1:])
        if rng.random() < 0.6:
            pdu = room.build(b, "m.room.member", u, {"membership": "join"}, u)
        else:
            pdu = room.build(b, "m.room.member", CREATOR, {"membership": "invite"}, u)
    auth_pdus = [] if pdu["type"] == "m.room.create" else room.auth_pdus(pdu, extra)
    expected = oracle.auth_answer(v, pdu, auth_pdus)
    return {"input": {"room_version": v, "event": pdu, "auth_events": auth_pdus},
            "expected": expected, "meta": {"category": category}}


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
