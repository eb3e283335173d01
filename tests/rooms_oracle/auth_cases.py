"""Auth-rule cases for the differential test: rooms built by Synapse's own code, one candidate
event per case in a category (membership, power levels, restricted joins, third-party invites,
…), and Synapse's verdict on it. Used by generate.py."""

import base64
import copy
import random

import oracle
from rooms import CREATOR, CREATOR_PL, USERS, Branch, Room
from signedjson.key import decode_signing_key_base64, get_verify_key
from signedjson.sign import sign_json


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
