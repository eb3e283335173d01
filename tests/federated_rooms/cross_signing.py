"""Cross-signing keys as a client makes them: a master key, a self-signing and a user-signing key
signed by it, and a device's keys signed by the self-signing key. The ed25519 key pairs are Olm
accounts' identity keys (matrix-nio's OlmAccount, on vodozemac), used only to sign."""

import json
from dataclasses import dataclass, field
from typing import Any

from nio.crypto import OlmAccount

JSON = dict[str, Any]


def canonical_json(value: JSON) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass
class SigningKey:
    account: OlmAccount = field(default_factory=OlmAccount, repr=False)

    @property
    def public(self) -> str:
        return self.account.identity_keys["ed25519"]

    @property
    def key_id(self) -> str:
        return f"ed25519:{self.public}"

    def sign(self, user_id: str, value: JSON) -> JSON:
        """`value` with this key's signature added under `user_id` (`signatures` and `unsigned` are
        not signed, other signatures are kept)."""
        signed_part = {k: v for k, v in value.items() if k not in ("signatures", "unsigned")}
        signature = self.account.sign(canonical_json(signed_part))
        signatures = {owner: dict(keys) for owner, keys in value.get("signatures", {}).items()}
        signatures.setdefault(user_id, {})[self.key_id] = signature
        return {**value, "signatures": signatures}


@dataclass
class CrossSigningKeys:
    user_id: str
    master: SigningKey = field(default_factory=SigningKey)
    self_signing: SigningKey = field(default_factory=SigningKey)
    user_signing: SigningKey = field(default_factory=SigningKey)

    def _key(self, usage: str, key: SigningKey) -> JSON:
        return {"user_id": self.user_id, "usage": [usage], "keys": {key.key_id: key.public}}

    def upload_body(self) -> JSON:
        """The body of `POST /keys/device_signing/upload`."""
        return {
            "master_key": self._key("master", self.master),
            "self_signing_key": self.master.sign(self.user_id, self._key("self_signing", self.self_signing)),
            "user_signing_key": self.master.sign(self.user_id, self._key("user_signing", self.user_signing)),
        }

    def device_signature_body(self, device_keys: JSON) -> JSON:
        """The body of `POST /keys/signatures/upload` that signs one of the user's own devices
        (`device_keys` as `/keys/query` returned them, without `unsigned`) with the self-signing key."""
        device_keys = {k: v for k, v in device_keys.items() if k != "unsigned"}
        key_id = self.self_signing.key_id
        signature = self.self_signing.sign(self.user_id, device_keys)["signatures"][self.user_id][key_id]
        only_new = {**device_keys, "signatures": {self.user_id: {key_id: signature}}}
        return {self.user_id: {device_keys["device_id"]: only_new}}
