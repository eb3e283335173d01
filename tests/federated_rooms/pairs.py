"""The two homeservers of a run, A and B, chosen by `--pair`.

Every scenario runs in both directions: room hosted on A with B's user joining, then hosted on B
with A's user joining (`Direction`). For synapse-synapse both are Synapse; keyport-synapse puts
Keyport on A, keyport-keyport Keyport on both.
"""

import os
from dataclasses import dataclass

from homeserver import Homeserver
from keyport_homeserver import KEYPORT_ROOMS_READY, KeyportHomeserver
from synapse_homeserver import SynapseHomeserver
from tls import TlsMaterial

PAIRS = ("synapse-synapse", "keyport-synapse", "keyport-keyport")


class NotYetImplemented(Exception):
    """The pair cannot run yet; the message says why."""


@dataclass(frozen=True)
class PairOptions:
    keyport_binary: str | None = None
    synapse_shares_device_names: bool = True


@dataclass(frozen=True)
class Pair:
    a: Homeserver
    b: Homeserver

    @property
    def servers(self) -> tuple[Homeserver, Homeserver]:
        return self.a, self.b


@dataclass(frozen=True)
class Direction:
    """Which server hosts the room (its user creates it and invites) and which one joins."""

    host: Homeserver
    joiner: Homeserver

    @property
    def name(self) -> str:
        return f"room on {self.host.describe()}, {self.joiner.describe()} joins"

    @property
    def tag(self) -> str:
        """Short and unique per direction, for user names."""
        return f"{self.host.label}{self.joiner.label}".lower()


def directions(pair: Pair) -> list[Direction]:
    return [Direction(pair.a, pair.b), Direction(pair.b, pair.a)]


def _synapse(label: str, root: str, tls: TlsMaterial, options: PairOptions) -> Homeserver:
    return SynapseHomeserver(label, os.path.join(root, f"{label}-synapse"), tls, options.synapse_shares_device_names)


def _keyport(label: str, root: str, tls: TlsMaterial, options: PairOptions) -> Homeserver:
    if not options.keyport_binary:
        raise NotYetImplemented("a Keyport pair needs --keyport-binary (scripts/federated_rooms.sh passes it)")
    return KeyportHomeserver(label, os.path.join(root, f"{label}-keyport"), tls, options.keyport_binary)


def build_pair(name: str, root: str, tls: TlsMaterial, options: PairOptions) -> Pair:
    if name not in PAIRS:
        raise ValueError(f"unknown pair {name!r}; one of {', '.join(PAIRS)}")
    if name != "synapse-synapse" and not KEYPORT_ROOMS_READY:
        raise NotYetImplemented("Keyport pairs are switched off in tests/federated_rooms/keyport_homeserver.py")
    software_a, software_b = name.split("-")
    makers = {"synapse": _synapse, "keyport": _keyport}
    return Pair(makers[software_a]("A", root, tls, options), makers[software_b]("B", root, tls, options))
