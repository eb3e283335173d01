"""Thin wrappers around Synapse's own room code, used as the oracle for Keyport's MatrixRooms.

Everything that decides an expected answer goes through Synapse (installed from PyPI,
matrix-synapse==1.163.2): event IDs and pruning come from its Rust `Event` and
`redact_event_dict`, content hashes from `synapse.crypto.event_signing`, auth verdicts from
`synapse.event_auth`, state resolution from `synapse.state.v2.resolve_events_with_store`
(v2 for rooms 10/11, v2.1 for room 12, chosen by Synapse from the room version's `state_res`).
This module only builds inputs and calls those functions.
"""

# synapse.event_auth must be imported before synapse.state: importing synapse.state first
# runs into a circular import (state -> v1 -> event_auth -> state.CREATE_KEY).
import synapse.event_auth  # noqa: F401  (import order matters)

import asyncio
import base64
import hashlib
from types import SimpleNamespace
from typing import Any

from signedjson.key import decode_signing_key_base64, get_verify_key, encode_verify_key_base64

import synapse
from synapse import event_auth
from synapse.api.errors import AuthError, SynapseError
from synapse.api.room_versions import KNOWN_ROOM_VERSIONS, StateResolutionVersions
from synapse.crypto.event_signing import (
    add_hashes_and_signatures,
    check_event_content_hash,
    compute_content_hash,
    compute_event_reference_hash,
    compute_event_signature,
)
from synapse.events import make_event_from_dict
from synapse.state import v2 as state_v2
from synapse.storage.databases.main.event_federation import StateDifference
from synapse.synapse_rust.events import redact_event_dict

VERSIONS = ["10", "11", "12"]
SYNAPSE_VERSION = synapse.__version__.split(" ")[0]

KEY_ID = "ed25519:k1"


def room_version(v: str):
    return KNOWN_ROOM_VERSIONS[v]


def state_res_name(v: str) -> str:
    return "v2.1" if room_version(v).state_res == StateResolutionVersions.V2_1 else "v2"


# ---------------------------------------------------------------------------------------------
# Keys: one fixed ed25519 key per server, derived from its name, so every batch is signed alike.

_keys: dict[str, Any] = {}


def signing_key(server: str):
    if server not in _keys:
        seed = hashlib.sha256(b"keyport-rooms-oracle:" + server.encode()).digest()
        _keys[server] = decode_signing_key_base64(
            "ed25519", "k1", base64.b64encode(seed).decode().rstrip("=")
        )
    return _keys[server]


def public_keys(servers) -> dict:
    return {
        s: {KEY_ID: encode_verify_key_base64(get_verify_key(signing_key(s)))} for s in servers
    }


def domain(user_id: str) -> str:
    return user_id.split(":", 1)[1]


def sign_pdu(v: str, pdu: dict, server: str) -> dict:
    """Add the content hash and `server`'s signature, as Synapse does for its own events."""
    add_hashes_and_signatures(room_version(v), pdu, server, signing_key(server))
    return pdu


def add_signature(v: str, pdu: dict, server: str) -> None:
    """Add a further server's signature (e.g. the authorising server of a restricted join)."""
    sigs = compute_event_signature(room_version(v), pdu, server, signing_key(server))
    pdu.setdefault("signatures", {}).update(sigs)


def event(v: str, pdu: dict, rejected_reason: str | None = None):
    """Synapse's Event for a PDU (raises on PDUs Synapse cannot parse)."""
    return make_event_from_dict(dict(pdu), room_version(v), rejected_reason=rejected_reason)


def event_id(v: str, pdu: dict) -> str:
    return event(v, pdu).event_id


# ---------------------------------------------------------------------------------------------
# events id


def redacted(v: str, pdu: dict) -> dict:
    """Synapse's pruned PDU, minus `unsigned`.

    Synapse keeps `unsigned.age_ts` and `unsigned.replaces_state` when it redacts (bookkeeping
    of its own); the spec's redaction algorithm keeps only its listed top-level keys and
    `unsigned` is not one of them, so `unsigned` is the one thing dropped from Synapse's output.
    """
    out = redact_event_dict(room_version(v), pdu)
    out.pop("unsigned", None)
    return out


def id_answer(v: str, pdu: dict) -> dict:
    ev = event(v, pdu)
    name, ref = compute_event_reference_hash(ev)
    assert name == "sha256"
    ref_id = "$" + base64.urlsafe_b64encode(ref).decode().rstrip("=")
    assert ref_id == ev.event_id, (ref_id, ev.event_id)
    try:
        ok = check_event_content_hash(ev)
    except SynapseError:
        ok = False
    # Cross-check on the raw dict (the Rust Event drops unknown `unsigned` members).
    _, raw = compute_content_hash(pdu, hashlib.sha256)
    want = pdu.get("hashes", {}).get("sha256")
    raw_ok = want is not None and base64.b64encode(raw).decode().rstrip("=") == want
    assert raw_ok == ok, (raw_ok, ok)
    return {"event_id": ev.event_id, "redacted": redacted(v, pdu), "content_hash_ok": ok}


# ---------------------------------------------------------------------------------------------
# events auth


def run(coro):
    """Drive a coroutine that never really suspends (our stores answer at once)."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    # Something did suspend: fall back to an event loop.
    return asyncio.get_event_loop().run_until_complete(coro)


class _AuthStore:
    def __init__(self, events: dict):
        self.events = events

    async def get_events(self, event_ids, redact_behaviour=None, get_prev_content=False,
                         allow_rejected=False):
        return {e: self.events[e] for e in event_ids if e in self.events}


def auth_types(v: str, type_: str, sender: str, state_key, content: dict) -> set:
    shim = SimpleNamespace(type=type_, sender=sender, state_key=state_key, content=content)
    return event_auth.auth_types_for_event(room_version(v), shim)


def auth_answer(v: str, pdu: dict, auth_pdus: list) -> dict:
    """Synapse's verdict on receipt of a PDU, at its own auth events.

    The same sequence as FederationEventHandler._check_event_auth: validate_event_for_room_version
    (sender's server signed; for a join via join_authorised_via_users_server, the authorising
    server signed), then check_state_independent_auth_rules, then
    check_state_dependent_auth_rules against the claimed auth events. Any AuthError or other
    SynapseError (Synapse raises a plain 400 SynapseError for a malformed power-levels event,
    e.g. a v12 creator in `users`) is a rejection.
    """
    ev = event(v, pdu)
    auth_evs = {}
    for a in auth_pdus:
        ae = event(v, a)
        auth_evs[ae.event_id] = ae
    try:
        event_auth.validate_event_for_room_version(ev)
        run(event_auth.check_state_independent_auth_rules(_AuthStore(auth_evs), ev))
        claimed = [auth_evs[i] for i in ev.auth_event_ids() if i in auth_evs]
        event_auth.check_state_dependent_auth_rules(ev, claimed)
    except (AuthError, SynapseError) as e:
        return {"allowed": False, "reason": f"{type(e).__name__}: {e.msg}"}
    return {"allowed": True, "reason": "allowed"}


# ---------------------------------------------------------------------------------------------
# events resolve


class _Clock:
    async def sleep(self, duration) -> None:
        return None


class _NothingPersisted:
    """Store for the all-unpersisted path: Synapse computes the auth difference and the v2.1
    conflicted subgraph itself from the event_map it is given."""

    async def get_events(self, event_ids, allow_rejected=False):
        return {}

    async def get_auth_chain_difference(self, room_id, state_sets, conflicted_state,
                                        additional_backwards_reachable_conflicted_events):
        return StateDifference(
            auth_difference=set(),
            conflicted_subgraph=None if conflicted_state is None else set(),
        )


class _AllPersisted:
    """Store for the all-persisted path, like Synapse's tests/state/test_v2.py store, plus the
    v2.1 conflicted subgraph (events both reachable from and reaching a conflicted event
    through auth_events), which the database computes with its chain cover index."""

    def __init__(self, events: dict):
        self.events = events

    async def get_events(self, event_ids, allow_rejected=False):
        return {e: self.events[e] for e in event_ids if e in self.events}

    def _chain(self, ids) -> set:
        seen: set = set()
        stack = list(ids)
        while stack:
            e = stack.pop()
            if e in seen:
                continue
            seen.add(e)
            stack.extend(self.events[e].auth_event_ids())
        return seen

    async def get_auth_chain_difference(self, room_id, state_sets, conflicted_state,
                                        additional_backwards_reachable_conflicted_events):
        chains = [self._chain(s) for s in state_sets]
        union = set().union(*chains)
        diff = union - set(chains[0]).intersection(*chains[1:])
        sub = None
        if conflicted_state is not None:
            back = self._chain(conflicted_state)
            children: dict = {}
            for e in back:
                for a in self.events[e].auth_event_ids():
                    children.setdefault(a, set()).add(e)
            fwd: set = set()
            stack = list(conflicted_state)
            while stack:
                e = stack.pop()
                if e in fwd:
                    continue
                fwd.add(e)
                stack.extend(children.get(e, ()))
            sub = back & fwd
        return StateDifference(auth_difference=diff, conflicted_subgraph=sub)


class ResolutionStats:
    def __init__(self):
        self.auth_failures = 0


_current_stats: ResolutionStats | None = None
_orig_check = state_v2.event_auth.check_state_dependent_auth_rules


class _CountingEventAuth:
    """Stands in for the event_auth module inside synapse.state.v2 so we can count the events
    that fail auth during resolution (for the statistics only)."""

    def __getattr__(self, name):
        return getattr(event_auth, name)

    @staticmethod
    def check_state_dependent_auth_rules(ev, auth_events):
        try:
            return _orig_check(ev, auth_events)
        except AuthError:
            if _current_stats is not None:
                _current_stats.auth_failures += 1
            raise


state_v2.event_auth = _CountingEventAuth()


def _room_id_of(v: str, evs) -> str:
    # In v12 the create event has no room_id member; Synapse derives it from its event ID,
    # which is the room ID, so every event answers the same.
    return evs[0].room_id


def resolve_events(v: str, pdus: list, state_sets: list, path: str = "unpersisted",
                   stats: ResolutionStats | None = None) -> set:
    """Resolve `state_sets` (lists of event IDs) with Synapse's state res for room version v."""
    global _current_stats
    evs = {}
    for p in pdus:
        e = event(v, p)
        evs[e.event_id] = e
    maps = []
    for s in state_sets:
        m = {}
        for eid in s:
            e = evs[eid]
            key = (e.type, e.state_key)
            if key in m:
                raise ValueError(f"state set names two events for {key}")
            m[key] = eid
        maps.append(m)
    room_id = _room_id_of(v, list(evs.values()))
    if path == "unpersisted":
        event_map, store = dict(evs), _NothingPersisted()
    else:
        event_map, store = None, _AllPersisted(evs)
    _current_stats = stats
    try:
        res = run(state_v2.resolve_events_with_store(
            _Clock(), room_id, room_version(v), maps, event_map, store))
    finally:
        _current_stats = None
    return set(res.values())


def conflicted_state(v: str, pdus: list, state_sets: list) -> dict:
    """Synapse's split of the state sets: (type, state_key) -> conflicting event IDs."""
    evs = {event_id(v, p): p for p in pdus}
    maps = []
    for s in state_sets:
        maps.append({(evs[e]["type"], evs[e].get("state_key")): e for e in s})
    _, conflicted = state_v2._seperate(maps)
    return conflicted


def conflicted_keys(v: str, pdus: list, state_sets: list) -> int:
    return len(conflicted_state(v, pdus, state_sets))
