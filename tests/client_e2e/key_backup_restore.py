#!/usr/bin/env python3
"""Server-side key backup with a real client, on Keyport and on Synapse side by side (issue 14).

mautrix-python (an OlmMachine on python-olm, memory stores) is the client; vodozemac (PyPI) does the
backup's public-key encryption (`m.megolm_backup.v1.curve25519-aes-sha2`), since mautrix 0.21.1 has
no /room_keys code of its own.

1. Device S1 of a fresh user bootstraps cross-signing and secret storage with mautrix (the recovery
   key), creates an encrypted room and sends a message that mautrix encrypts with its own Megolm
   session on the normal send path.
2. S1 backs the room key up the way clients do: a Curve25519 key pair (vodozemac PkDecryption), a
   backup version whose auth_data holds the public key, signed with S1's device key and the master
   key (mautrix's sign_olm), the private key stored in secret storage as `m.megolm_backup.v1`
   encrypted with the default SSSS key (mautrix's SSSS machine), the room key exported from
   mautrix's crypto store into the spec's session_data, encrypted with vodozemac PkEncryption and
   uploaded to /room_keys through mautrix's client API.
3. Device S2, a fresh mautrix login that did not exist when the message was sent, recovers the
   backup key from secret storage with the recovery key alone (mautrix's SSSS), reads the backup
   version and the keys, decrypts the session with vodozemac PkDecryption, imports it into its own
   mautrix crypto store, fetches the old event from /messages and decrypts it with its OlmMachine.
4. A second backup version is made, and an upload to the first must be refused as stale.

mautrix does the cross-signing and SSSS bootstrap, storing and recovering the backup key in SSSS
(`ssss.set_encrypted_account_data` / `get_decrypted_account_data`), the signatures (`sign_olm`,
`verify_signature_json`), the Megolm encryption and decryption, the crypto stores (the session is
exported from one and imported into the other as mautrix's own InboundGroupSession), /messages and
every /room_keys request (through `client.api.request`: mautrix has no typed /room_keys calls).
Two small seams: mautrix keeps the master private key to itself, so S1 makes the cross-signing seeds
and hands them to `generate_recovery_key(seeds=...)` to sign auth_data with the master key; and
`generate_recovery_key` returns only the recovery key, so S1 unlocks the SSSS key from it as S2 does.
vodozemac does PkEncryption/PkDecryption. Registration and the password login of S2 are plain HTTP
(as in mautrix_secrets.py). The observations are compared between the two servers; every one must
hold on both.

Usage: key_backup_restore.py PATH_TO_KEYPORT PATH_TO_SYNAPSE_PYTHON
"""

import base64
import json
import os
import sys

import vodozemac

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))

from mautrix.api import Method, Path  # noqa: E402
from mautrix.crypto import InboundGroupSession  # noqa: E402
from mautrix.crypto.cross_signing_key import CrossSigningSeeds  # noqa: E402
from mautrix.crypto.signature import sign_olm, verify_signature_json  # noqa: E402
from mautrix.errors import MatrixRequestError  # noqa: E402
from mautrix.types import EventType, PaginationDirection, TrustState  # noqa: E402
from mautrix_device import close, default_ssss_key, device  # noqa: E402
from side_by_side import login, main, register  # noqa: E402

ALGORITHM = "m.megolm_backup.v1.curve25519-aes-sha2"
BODY = "sent before S2 existed"


def unpadded(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def pk_encrypt(public_key: str, plaintext: str) -> dict:
    """session_data for the backup: the plaintext encrypted to the backup's public key (vodozemac)."""
    message = vodozemac.PkEncryption.from_key(vodozemac.Curve25519PublicKey.from_base64(public_key)).encrypt(
        plaintext.encode())
    # Each field unpadded base64 by hand: vodozemac 0.10.0's Message.to_base64() returns
    # (ephemeral_key, mac, ciphertext), not the (ciphertext, mac, ephemeral_key) its docstring says.
    return {"ephemeral": unpadded(message.ephemeral_key), "mac": unpadded(message.mac),
            "ciphertext": unpadded(message.ciphertext)}


def pk_decrypt(private_key: bytes, session_data: dict) -> dict:
    """The session a backup's session_data holds, decrypted with the backup's private key (vodozemac)."""
    decryption = vodozemac.PkDecryption.from_key(vodozemac.Curve25519SecretKey.from_bytes(private_key))
    message = vodozemac.Message.from_base64(
        session_data["ciphertext"], session_data["mac"], session_data["ephemeral"])
    return json.loads(decryption.decrypt(message))


async def scenario(base: str) -> dict:
    first = register(base, "sam")
    user_id, s1_device = first["user_id"], first["device_id"]
    s1, machine1 = await device(base, first, "keyport-backup-pickle-key")
    s2 = None
    try:
        # 1. S1 bootstraps cross-signing and secret storage, then sends an encrypted message.
        seeds = CrossSigningSeeds.generate()
        recovery_key = await machine1.generate_recovery_key(seeds=seeds)
        room_id = await s1.create_room(initial_state=[{
            "type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}])
        sent_id = await s1.send_text(room_id, BODY)
        session_id = (await machine1.crypto_store.get_outbound_group_session(room_id)).id

        # 2. S1 makes a backup version, keeps its private key in secret storage and backs the room key up.
        backup_key = vodozemac.PkDecryption()
        public_key = backup_key.public_key.to_base64()
        master = seeds.to_keys().master_key
        auth_data = {"public_key": public_key}
        auth_data["signatures"] = {user_id: {  # both signed over auth_data without signatures
            f"ed25519:{s1_device}": str(sign_olm(dict(auth_data), machine1.account)),
            f"ed25519:{master.public_key}": str(sign_olm(dict(auth_data), master))}}
        version = (await s1.api.request(Method.POST, Path.v3.room_keys.version,
                                        {"algorithm": ALGORITHM, "auth_data": auth_data}))["version"]
        await machine1.ssss.set_encrypted_account_data(
            EventType.MEGOLM_BACKUP_V1, backup_key.key.to_bytes(), await default_ssss_key(machine1, recovery_key))
        session = await machine1.crypto_store.get_group_session(room_id, session_id)
        index = session.first_known_index
        session_data = pk_encrypt(public_key, json.dumps({
            "algorithm": "m.megolm.v1.aes-sha2", "sender_key": session.sender_key,
            "session_key": session.export_session(index), "sender_claimed_keys": {"ed25519": session.signing_key},
            "forwarding_curve25519_key_chain": session.forwarding_chain}))
        uploaded = await s1.api.request(
            Method.PUT, Path.v3.room_keys.keys[room_id][session_id],
            {"first_message_index": index, "forwarded_count": 0, "is_verified": True, "session_data": session_data},
            query_params={"version": version})

        # 3. S2, a device that did not exist then, recovers the backup key and reads the old message.
        second = login(base, user_id)
        s2, machine2 = await device(base, second, "keyport-backup-pickle-key-2")
        recovered = await machine2.ssss.get_decrypted_account_data(
            EventType.MEGOLM_BACKUP_V1, await default_ssss_key(machine2, recovery_key))
        current = await s2.api.request(Method.GET, Path.v3.room_keys.version)
        backed_up = await s2.api.request(Method.GET, Path.v3.room_keys.keys,
                                         query_params={"version": current["version"]})
        stored = backed_up["rooms"][room_id]["sessions"][session_id]
        restored = pk_decrypt(recovered, stored["session_data"])
        imported = InboundGroupSession.import_session(
            restored["session_key"], restored["sender_claimed_keys"]["ed25519"], restored["sender_key"], room_id,
            restored["forwarding_curve25519_key_chain"])
        await machine2.crypto_store.put_group_session(room_id, restored["sender_key"], imported.id, imported)
        history = await s2.get_messages(room_id, PaginationDirection.BACKWARD, limit=20)
        old = next(event for event in history.events if event.event_id == sent_id)
        decrypted = await machine2.decrypt_megolm_event(old)

        # S2 checks the backup's signatures against S1's device key and the master key it sees.
        s1_keys = await machine2.get_or_fetch_device(user_id, s1_device)
        master_public = (await machine2.get_cross_signing_public_keys(user_id)).master_key
        signed = (verify_signature_json(current["auth_data"], user_id, s1_device, s1_keys.signing_key)
                  and verify_signature_json(current["auth_data"], user_id, master_public, master_public))

        # A newer version makes the old one stale for uploads.
        newer = (await s1.api.request(Method.POST, Path.v3.room_keys.version, {
            "algorithm": ALGORITHM,
            "auth_data": {"public_key": vodozemac.PkDecryption().public_key.to_base64()}}))["version"]
        try:
            await s1.api.request(
                Method.PUT, Path.v3.room_keys.keys[room_id][session_id],
                {"first_message_index": 0, "forwarded_count": 0, "is_verified": True,
                 "session_data": {"ephemeral": "e", "mac": "m", "ciphertext": "c"}},
                query_params={"version": version})
            stale = current_version = None
        except MatrixRequestError as error:
            stale = (error.http_status, error.errcode)
            current_version = json.loads(getattr(error, "text", "") or "{}").get("current_version")
        return {
            "upload answered count 1 and an etag": uploaded.get("count") == 1 and isinstance(uploaded.get("etag"), str),
            "S2 sees the version S1 made, with its auth_data": current.get("version") == version
            and current.get("auth_data") == auth_data,
            "S2 verifies auth_data's signatures by S1's device key and the master key": signed,
            "the backup key recovered from secret storage is S1's": recovered == backup_key.key.to_bytes(),
            "the stored session is as uploaded": stored.get("first_message_index") == 0
            and stored.get("is_verified") is True and stored.get("session_data") == session_data,
            "the backup decrypts with the recovered key alone":
                restored.get("sender_key") == machine1.account.identity_key
                and restored.get("sender_claimed_keys") == {"ed25519": machine1.account.signing_key},
            "S2's mautrix crypto store holds the restored session": imported.id == session_id
            and await machine2.crypto_store.has_group_session(room_id, session_id),
            "mautrix on S2 decrypts the message sent before it existed":
                decrypted.event_id == sent_id and decrypted.content.body == BODY,
            # S1 signed itself with the self-signing key at bootstrap: mautrix trusts it on first use.
            "mautrix on S2 sees the session's sender cross-signed":
                decrypted["mautrix"]["trust_state"] == TrustState.CROSS_SIGNED_TOFU,
            "an upload to the old version is refused as stale": stale,
            # Checked against the spec only: Synapse 1.163 answers with the version the upload named,
            # not the current one (upload_room_keys in synapse/handlers/e2e_room_keys.py reads the
            # named version's info into the variable it then reports).
            "spec_only": {"the stale refusal names the current version": (current_version, newer)},
        }
    finally:
        await close(s1, s2)


if __name__ == "__main__":
    sys.exit(main("key backup restore", scenario))
