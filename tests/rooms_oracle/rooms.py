"""Builds plausible rooms out of real signed and hashed PDUs, with Synapse deciding at each step
whether an event passes auth (only events that pass are kept in a room's history)."""

import copy
import random

import oracle

USERS = [
    "@alice:a.test", "@bob:b.test", "@carol:c.test", "@dave:a.test",
    "@erin:b.test", "@frank:c.test", "@gina:a.test",
]
CREATOR = USERS[0]
PL_VALUES = [0, 0, 10, 25, 50, 50, 75, 99, 100, 100]
JOIN_RULES = ["public", "invite", "knock", "restricted", "knock_restricted"]
CREATOR_PL = 2**53


class Branch:
    """A line of history: the state after its last event, and its tips (prev_events)."""

    def __init__(self, state=None, tips=None, ts=0):
        self.state = dict(state or {})
        self.tips = list(tips or [])
        self.ts = ts
        self.history = []  # states after each event, for picking older state sets

    def copy(self):
        b = Branch(self.state, self.tips, self.ts)
        return b


class Room:
    def __init__(self, v: str, rng: random.Random):
        self.v = v
        self.rng = rng
        self.pdus: dict[str, dict] = {}
        self.depth: dict[str, int] = {}
        self.room_id = None
        self.create_id = None
        self.creators = {CREATOR}
        self.federate = True

    # -- building -------------------------------------------------------------------------

    def auth_ids(self, state, type_, sender, state_key, content):
        keys = oracle.auth_types(self.v, type_, sender, state_key, content)
        ids = []
        for k in sorted(keys):
            if k == ("m.room.create", "") and self.v == "12":
                continue  # MSC4291: implied by the room ID
            if k in state:
                ids.append(state[k])
        return ids

    def build(self, branch, type_, sender, content, state_key=None, *, auth=None, prev=None,
              extra_servers=(), tweak=None, sign_as=None, ts=None):
        """A signed PDU on top of `branch` (not committed)."""
        if ts is None:
            branch.ts += self.rng.choice([1, 1, 7, 50, 1000])
            ts = branch.ts
        prev = list(branch.tips if prev is None else prev)
        d = {
            "type": type_,
            "sender": sender,
            "content": content,
            "origin_server_ts": ts,
            "depth": max([self.depth.get(p, 0) for p in prev] + [0]) + 1,
            "prev_events": prev,
            "auth_events": (self.auth_ids(branch.state, type_, sender, state_key, content)
                            if auth is None else list(auth)),
        }
        if state_key is not None:
            d["state_key"] = state_key
        if not (type_ == "m.room.create" and self.v == "12"):
            d["room_id"] = self.room_id
        if tweak:
            tweak(d)
        oracle.sign_pdu(self.v, d, sign_as or oracle.domain(sender))
        for s in extra_servers:
            oracle.add_signature(self.v, d, s)
        return d

    def auth_pdus(self, pdu, extra=None):
        """The PDUs an `events auth` input carries: the event's auth events (plus, in v12,
        the create event, which the event does not list)."""
        pool = dict(self.pdus)
        if extra:
            pool.update(extra)
        ids = list(dict.fromkeys(pdu["auth_events"]))
        if self.v == "12" and pdu["type"] != "m.room.create" and self.create_id not in ids:
            ids.append(self.create_id)
        return [pool[i] for i in ids if i in pool]

    def verdict(self, pdu, extra=None):
        return oracle.auth_answer(self.v, pdu, self.auth_pdus(pdu, extra))

    def commit(self, branch, pdu):
        eid = oracle.event_id(self.v, pdu)
        self.pdus[eid] = pdu
        self.depth[eid] = pdu["depth"]
        branch.tips = [eid]
        if "state_key" in pdu:
            branch.state[(pdu["type"], pdu["state_key"])] = eid
        branch.history.append(dict(branch.state))
        return eid

    def attempt(self, branch, *args, **kw):
        """Build, ask Synapse, keep it if allowed. Returns the event ID or None."""
        pdu = self.build(branch, *args, **kw)
        if self.verdict(pdu)["allowed"]:
            return self.commit(branch, pdu)
        return None

    # -- reading state --------------------------------------------------------------------

    def content(self, state, type_, key=""):
        eid = state.get((type_, key))
        return self.pdus[eid]["content"] if eid else None

    def membership(self, state, user):
        c = self.content(state, "m.room.member", user)
        return c.get("membership") if c else None

    def power(self, state, user):
        if self.v == "12" and user in self.creators:
            return CREATOR_PL
        pl = self.content(state, "m.room.power_levels")
        if pl is None:
            return 100 if user == CREATOR else 0
        return pl.get("users", {}).get(user, pl.get("users_default", 0))

    def members(self, state, m="join"):
        return [u for u in USERS if self.membership(state, u) == m]

    # -- setting up a room ----------------------------------------------------------------

    def setup(self, *, join_rule=None, federate=None):
        rng, v = self.rng, self.v
        b = Branch(ts=rng.randint(1_600_000_000_000, 1_700_000_000_000))
        content = {"room_version": v}
        if v == "10":
            content["creator"] = CREATOR
        if federate is None:
            federate = rng.random() > 0.1
        if not federate:
            content["m.federate"] = False
        self.federate = federate
        if v == "12" and rng.random() < 0.5:
            extra = rng.sample(USERS[1:], rng.choice([1, 1, 2]))
            content["additional_creators"] = extra
            self.creators |= set(extra)
        if v != "12":
            self.room_id = "!" + "".join(
                rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(12)) + ":a.test"
        pdu = self.build(b, "m.room.create", CREATOR, content, "", auth=[], prev=[])
        self.create_id = oracle.event_id(v, pdu)
        if v == "12":
            self.room_id = "!" + self.create_id[1:]  # MSC4291
        self.commit(b, pdu)
        assert self.attempt(b, "m.room.member", CREATOR, {"membership": "join"}, CREATOR)
        users = {}
        others = [u for u in USERS if u not in self.creators or v != "12"]
        if v != "12":
            users[CREATOR] = 100
        for u in rng.sample(others, rng.randint(1, 4)):
            if u == CREATOR:
                continue
            users[u] = rng.choice([50, 50, 75, 100, 99, 10])
        pl = {
            "users": users,
            "users_default": rng.choice([0, 0, 0, 5]),
            "events_default": rng.choice([0, 0, 0, 10]),
            "state_default": rng.choice([50, 50, 25, 75]),
            "ban": rng.choice([50, 50, 75, 25]),
            "kick": rng.choice([50, 50, 75, 25]),
            "redact": rng.choice([50, 50, 0]),
            "invite": rng.choice([0, 0, 50]),
            "events": {"m.room.power_levels": 100, "m.room.topic": rng.choice([0, 50]),
                       "m.room.name": 50, "m.room.history_visibility": 100},
        }
        if rng.random() < 0.3:
            pl["notifications"] = {"room": 50}
        assert self.attempt(b, "m.room.power_levels", CREATOR, pl, ""), pl
        jr = join_rule or rng.choice(JOIN_RULES)
        self.set_join_rule(b, CREATOR, jr)
        if rng.random() < 0.5:
            self.attempt(b, "m.room.history_visibility", CREATOR,
                         {"history_visibility": rng.choice(["shared", "joined", "invited"])}, "")
        # bring in some members
        for u in rng.sample(USERS[1:], rng.randint(2, 5)):
            self.bring_in(b, u)
        return b

    def join_rule_content(self, rule):
        c = {"join_rule": rule}
        if rule in ("restricted", "knock_restricted"):
            c["allow"] = [{"type": "m.room_membership", "room_id": "!other:b.test"}]
        return c

    def set_join_rule(self, b, sender, rule):
        return self.attempt(b, "m.room.join_rules", sender, self.join_rule_content(rule), "")

    def bring_in(self, b, u):
        """Get u joined by whatever route the join rule allows (may fail, e.g. m.federate)."""
        rule = (self.content(b.state, "m.room.join_rules") or {}).get("join_rule", "invite")
        if rule == "public":
            return self.attempt(b, "m.room.member", u, {"membership": "join"}, u)
        if rule in ("restricted", "knock_restricted") and self.rng.random() < 0.6:
            auth_user = self.pick_authoriser(b.state)
            if auth_user:
                return self.attempt(
                    b, "m.room.member", u,
                    {"membership": "join", "join_authorised_via_users_server": auth_user}, u,
                    extra_servers=[oracle.domain(auth_user)])
        inviter = self.best(b.state)
        if self.attempt(b, "m.room.member", inviter, {"membership": "invite"}, u):
            return self.attempt(b, "m.room.member", u, {"membership": "join"}, u)
        return None

    def best(self, state):
        joined = self.members(state) or [CREATOR]
        return max(joined, key=lambda u: self.power(state, u))

    def pick_authoriser(self, state):
        pl = self.content(state, "m.room.power_levels") or {}
        need = pl.get("invite", 0)
        cands = [u for u in self.members(state) if self.power(state, u) >= need]
        return self.rng.choice(cands) if cands else None

    # -- random actions -------------------------------------------------------------------

    def pick_sender(self, state, joined_bias=0.8):
        joined = self.members(state)
        if joined and self.rng.random() < joined_bias:
            return self.rng.choice(joined)
        return self.rng.choice(USERS)

    def random_pl(self, state, sender):
        rng = self.rng
        pl = copy.deepcopy(self.content(state, "m.room.power_levels") or {})
        for _ in range(rng.choice([1, 1, 2])):
            what = rng.random()
            if what < 0.5:
                u = rng.choice(USERS)
                if self.v == "12" and u in self.creators and rng.random() < 0.8:
                    u = rng.choice([x for x in USERS if x not in self.creators])
                if rng.random() < 0.2 and u in pl.get("users", {}):
                    del pl["users"][u]
                else:
                    pl.setdefault("users", {})[u] = rng.choice(PL_VALUES)
            elif what < 0.8:
                k = rng.choice(["ban", "kick", "invite", "redact", "state_default",
                                "events_default", "users_default"])
                pl[k] = rng.choice(PL_VALUES)
            else:
                t = rng.choice(["m.room.topic", "m.room.name", "m.room.power_levels",
                                "m.room.join_rules", "org.example.state"])
                pl.setdefault("events", {})[t] = rng.choice(PL_VALUES)
        return pl

    def random_action(self, state):
        """(type, sender, content, state_key, kw) for a plausible state change."""
        rng = self.rng
        kind = rng.choices(
            ["pl", "ban", "kick", "unban", "join", "leave", "invite", "knock", "join_rules",
             "topic", "name", "custom"],
            weights=[3, 2, 1, 0.7, 2, 1, 1.2, 0.5, 1.2, 2, 0.5, 0.5])[0]
        s = self.pick_sender(state)
        t = rng.choice(USERS)
        if kind == "pl":
            return "m.room.power_levels", s, self.random_pl(state, s), "", {}
        if kind == "ban":
            return "m.room.member", s, {"membership": "ban"}, t, {}
        if kind == "kick":
            joined = self.members(state) + self.members(state, "invite")
            t = rng.choice(joined) if joined else t
            return "m.room.member", s, {"membership": "leave"}, t, {}
        if kind == "unban":
            banned = self.members(state, "ban")
            t = rng.choice(banned) if banned else t
            return "m.room.member", s, {"membership": "leave"}, t, {}
        if kind == "join":
            outside = [u for u in USERS if self.membership(state, u) != "join"] or USERS
            u = rng.choice(outside)
            c = {"membership": "join"}
            kw = {}
            rule = (self.content(state, "m.room.join_rules") or {}).get("join_rule")
            if rule in ("restricted", "knock_restricted") and rng.random() < 0.8:
                a = self.pick_authoriser(state) or rng.choice(USERS)
                c["join_authorised_via_users_server"] = a
                kw["extra_servers"] = [oracle.domain(a)]
            return "m.room.member", u, c, u, kw
        if kind == "leave":
            u = rng.choice(self.members(state) + self.members(state, "invite") or USERS)
            return "m.room.member", u, {"membership": "leave"}, u, {}
        if kind == "invite":
            return "m.room.member", s, {"membership": "invite"}, t, {}
        if kind == "knock":
            return "m.room.member", t, {"membership": "knock"}, t, {}
        if kind == "join_rules":
            return ("m.room.join_rules", s, self.join_rule_content(rng.choice(JOIN_RULES)), "",
                    {})
        if kind == "topic":
            return "m.room.topic", s, {"topic": "topic %d" % rng.randint(0, 999)}, "", {}
        if kind == "name":
            return "m.room.name", s, {"name": "room %d" % rng.randint(0, 999)}, "", {}
        sk = rng.choice(["", "x", s])
        return "org.example.state", s, {"n": rng.randint(0, 9)}, sk, {}

    def random_step(self, branch, tries=6):
        for _ in range(tries):
            type_, s, c, sk, kw = self.random_action(branch.state)
            eid = self.attempt(branch, type_, s, c, sk, **kw)
            if eid:
                return eid
        return None

    def closure(self, ids):
        """The events and their auth chains (in v12 the create event is part of every chain)."""
        seen = set()
        stack = list(ids)
        while stack:
            e = stack.pop()
            if e in seen:
                continue
            seen.add(e)
            stack.extend(self.pdus[e]["auth_events"])
            if self.v == "12":
                stack.append(self.create_id)
        return seen
