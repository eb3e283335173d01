"""The second oracle: cross-checks KeyportClientCrypto against libolm through python-olm (pinned in
requirements.txt), with the same `keyport-crypto-oracle` process protocol as oracle.py.

libolm is an independent implementation from vodozemac (C++, not Rust), so agreeing with both
guards against matching one library's quirks. Covered: Megolm both ways with export byte equality
(libolm's `export_session` is vodozemac's `export_at`) and import of each side's export; Olm
pre-key then normal messages both ways with several changes of sending direction, out-of-order
delivery and equal session IDs, also through fallback keys; Ed25519 signatures both ways."""

import importlib.metadata
import random
import sys

import olm

from oracle import Swift

CHECKS = 0
EXCHANGES = 0


def check(condition, what):
    global CHECKS
    CHECKS += 1
    if not condition:
        raise AssertionError(what)


def megolm_swift_to_libolm(swift):
    global EXCHANGES
    outbound = swift("megolm_outbound", session="out")
    inbound = olm.InboundGroupSession(outbound["session_key"])
    check(inbound.id == outbound["session_id"], "Megolm session IDs differ (Swift sender)")
    swift("megolm_inbound", session="swift-in", session_key=outbound["session_key"])
    messages = [swift("megolm_encrypt", session="out", plaintext=f"swift megolm {i}") for i in range(12)]
    order = list(range(12))
    random.Random(3).shuffle(order)
    for i in order:
        plaintext, index = inbound.decrypt(messages[i]["message"])
        check(plaintext == f"swift megolm {i}", f"libolm decrypted Swift Megolm {i} wrong")
        check(index == i == messages[i]["index"], "Megolm index differs")
        mine = swift("megolm_decrypt", session="swift-in", message=messages[i]["message"])
        check(mine["plaintext"] == f"swift megolm {i}", "Swift decrypted its own Megolm wrong")
        EXCHANGES += 1
    for index in (0, 1, 5, 11, 300):
        theirs = inbound.export_session(index)
        ours = swift("megolm_export_at", session="swift-in", index=index)["exported_key"]
        check(theirs == ours, f"export at {index} differs: Swift sender")
    exported = swift("megolm_export_at", session="swift-in", index=4)["exported_key"]
    imported = olm.InboundGroupSession.import_session(exported)
    check(imported.first_known_index == 4, "libolm import of a Swift export: wrong first index")
    check(imported.decrypt(messages[7]["message"])[0] == "swift megolm 7",
          "libolm could not decrypt after importing a Swift export")
    swift("megolm_inbound", session="swift-imported", exported_key=inbound.export_session(6))
    check(swift("megolm_decrypt", session="swift-imported", message=messages[6]["message"])["plaintext"]
          == "swift megolm 6", "Swift could not decrypt after importing a libolm export")
    EXCHANGES += 2


def megolm_libolm_to_swift(swift):
    global EXCHANGES
    outbound = olm.OutboundGroupSession()
    reference = olm.InboundGroupSession(outbound.session_key)
    answer = swift("megolm_inbound", session="py-in", session_key=outbound.session_key)
    check(answer["session_id"] == outbound.id, "Megolm session IDs differ (libolm sender)")
    messages = [outbound.encrypt(f"libolm megolm {i}") for i in range(12)]
    order = list(range(12))
    random.Random(4).shuffle(order)
    for i in order:
        decrypted = swift("megolm_decrypt", session="py-in", message=messages[i])
        check(decrypted["plaintext"] == f"libolm megolm {i}", f"Swift decrypted libolm Megolm {i} wrong")
        check(decrypted["index"] == i, "Megolm index differs")
        reference.decrypt(messages[i])
        EXCHANGES += 1
    for index in (0, 3, 11, 1000):
        theirs = reference.export_session(index)
        ours = swift("megolm_export_at", session="py-in", index=index)["exported_key"]
        check(theirs == ours, f"export at {index} differs: libolm sender")


def olm_conversation(swift, swift_name, libolm_session, swift_first, label):
    """Both ways with direction changes and out-of-order delivery on an established pair."""
    global EXCHANGES
    for turn in range(6):
        swift_sends = (turn % 2 == 0) == swift_first
        count = 1 + turn % 3 + (2 if turn == 3 else 0)
        texts = [f"{label} turn {turn} message {i}" for i in range(count)]
        if swift_sends:
            sent = [swift("olm_encrypt", session=swift_name, plaintext=t) for t in texts]
            order = list(range(count))
            random.Random(turn).shuffle(order)
            for i in order:
                kind = olm.OlmPreKeyMessage if sent[i]["type"] == 0 else olm.OlmMessage
                check(libolm_session.decrypt(kind(sent[i]["body"])) == texts[i], f"{label}: libolm decrypted wrong")
                EXCHANGES += 1
        else:
            sent = [libolm_session.encrypt(t) for t in texts]
            order = list(range(count))
            random.Random(turn + 100).shuffle(order)
            for i in order:
                answer = swift("olm_decrypt", session=swift_name, type=sent[i].message_type, body=sent[i].ciphertext)
                check(answer["plaintext"] == texts[i], f"{label}: Swift decrypted wrong")
                check(answer["session_id"] == libolm_session.id, f"{label}: session IDs differ")
                EXCHANGES += 1


def olm_swift_starts(swift, use_fallback):
    global EXCHANGES
    label = "swift-starts" + ("-fallback" if use_fallback else "")
    bob = olm.Account()
    if use_fallback:
        bob.generate_fallback_key()
        key = list(bob.fallback_key["curve25519"].values())[0]
    else:
        bob.generate_one_time_keys(2)
        key = list(bob.one_time_keys["curve25519"].values())[0]
    bob.mark_keys_as_published()
    alice = swift("account_new", account=label)
    started = swift("olm_outbound", account=label, session=label,
                    identity_key=bob.identity_keys["curve25519"], one_time_key=key)
    first = swift("olm_encrypt", session=label, plaintext="first from swift")
    second = swift("olm_encrypt", session=label, plaintext="second from swift")
    check(first["type"] == 0 and second["type"] == 0, "Swift's first messages are not pre-key messages")
    pre_key = olm.OlmPreKeyMessage(first["body"])
    session = olm.InboundSession(bob, pre_key, alice["curve25519"])
    check(session.id == started["session_id"], "Olm session IDs differ (Swift starts)")
    check(session.decrypt(pre_key) == "first from swift", "libolm decrypted Swift's pre-key message wrong")
    second_message = olm.OlmPreKeyMessage(second["body"])
    check(session.matches(second_message, alice["curve25519"]), "libolm does not match Swift's pre-key message")
    check(session.decrypt(second_message) == "second from swift", "libolm decrypted the second pre-key wrong")
    EXCHANGES += 2
    olm_conversation(swift, label, session, swift_first=False, label=label)


def olm_libolm_starts(swift, use_fallback):
    global EXCHANGES
    label = "libolm-starts" + ("-fallback" if use_fallback else "")
    bob = swift("account_new", account=label)
    if use_fallback:
        key = swift("account_fallback_key", account=label)["key"]
    else:
        key = list(swift("account_one_time_keys", account=label, count=3)["keys"].values())[1]
    alice = olm.Account()
    session = olm.OutboundSession(alice, bob["curve25519"], key)
    message = session.encrypt("first from libolm")
    check(message.message_type == 0, "libolm's first message is not a pre-key message")
    answer = swift("olm_inbound", account=label, session=label,
                   identity_key=alice.identity_keys["curve25519"], body=message.ciphertext)
    check(answer["plaintext"] == "first from libolm", "Swift decrypted libolm's pre-key message wrong")
    check(answer["session_id"] == session.id, "Olm session IDs differ (libolm starts)")
    message = session.encrypt("second from libolm")
    answer = swift("olm_decrypt", session=label, type=message.message_type, body=message.ciphertext)
    check(answer["plaintext"] == "second from libolm", "Swift decrypted the second pre-key wrong")
    EXCHANGES += 2
    olm_conversation(swift, label, session, swift_first=True, label=label)


def signatures(swift):
    alice = swift("account_new", account="signer")
    signature = swift("account_sign", account="signer", message="sign me")["signature"]
    olm.ed25519_verify(alice["ed25519"], "sign me", signature)  # raises on a bad signature
    account = olm.Account()
    theirs = account.sign("and me")
    key = account.identity_keys["ed25519"]
    check(swift("verify_ed25519", key=key, message="and me", signature=theirs)["valid"],
          "Swift refused libolm's Ed25519 signature")
    check(not swift("verify_ed25519", key=key, message="and you", signature=theirs)["valid"],
          "Swift accepted a signature of another message")


def main():
    swift = Swift(sys.argv[1])
    version = importlib.metadata.version("python-olm")
    try:
        megolm_swift_to_libolm(swift)
        megolm_libolm_to_swift(swift)
        for fallback in (False, True):
            olm_swift_starts(swift, fallback)
            olm_libolm_starts(swift, fallback)
        signatures(swift)
    except Exception as error:  # any mismatch or refusal fails the run
        print(f"crypto oracle (python-olm): FAILED after {EXCHANGES} exchanges: {error!r}", file=sys.stderr)
        swift.close()
        print(f"crypto oracle (python-olm): {CHECKS} passed, 1 failed")
        return 1
    swift.close()
    if EXCHANGES == 0:
        print("crypto oracle (python-olm): no exchange ran", file=sys.stderr)
        return 1
    print(f"crypto oracle: {EXCHANGES} exchanges with python-olm {version} (libolm) agreed")
    print(f"crypto oracle (python-olm): {CHECKS} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
