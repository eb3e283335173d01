"""Cross-checks KeyportClientCrypto against vodozemac (the PyPI bindings, pinned in
requirements.txt). The Swift side runs as `keyport-crypto-oracle`, one JSON command per line;
this script plays the other side with vodozemac and fails on any mismatch.

Covered: Megolm both ways with export_at byte equality and import of each side's export; Olm
pre-key then normal messages both ways with several changes of sending direction, out-of-order
delivery and equal session IDs, also through fallback keys; Ed25519 signatures both ways."""

import base64
import importlib.metadata
import json
import random
import subprocess
import sys

import vodozemac as vz

CHECKS = 0
EXCHANGES = 0


def b64(data):
    return base64.b64encode(data).decode().rstrip("=")


def unb64(text):
    return base64.b64decode(text + "=" * (-len(text) % 4))


def check(condition, what):
    global CHECKS
    CHECKS += 1
    if not condition:
        raise AssertionError(what)


class Swift:
    def __init__(self, path):
        self.process = subprocess.Popen(
            [path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )

    def __call__(self, op, **arguments):
        self.process.stdin.write(json.dumps({"op": op, **arguments}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise AssertionError(f"oracle exited during {op}")
        answer = json.loads(line)
        if "error" in answer:
            raise AssertionError(f"{op}: Swift refused: {answer['error']}")
        return answer

    def refuses(self, expected, op, **arguments):
        """The Swift side must answer with an error naming `expected`."""
        self.process.stdin.write(json.dumps({"op": op, **arguments}) + "\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline())
        check(expected in answer.get("error", ""), f"{op}: expected {expected}, got {answer}")

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


def megolm_swift_to_python(swift):
    global EXCHANGES
    outbound = swift("megolm_outbound", session="out")
    inbound = vz.InboundGroupSession(vz.SessionKey(outbound["session_key"]))
    check(inbound.session_id == outbound["session_id"], "Megolm session IDs differ (Swift sender)")
    swift("megolm_inbound", session="swift-in", session_key=outbound["session_key"])
    messages = [swift("megolm_encrypt", session="out", plaintext=f"swift megolm {i}") for i in range(12)]
    order = list(range(12))
    random.Random(1).shuffle(order)
    for i in order:
        decrypted = inbound.decrypt(vz.MegolmMessage.from_base64(messages[i]["message"]))
        check(decrypted.plaintext == f"swift megolm {i}".encode(), f"vodozemac decrypted Swift Megolm {i} wrong")
        check(decrypted.message_index == i == messages[i]["index"], "Megolm index differs")
        mine = swift("megolm_decrypt", session="swift-in", message=messages[i]["message"])
        check(mine["plaintext"] == f"swift megolm {i}", "Swift decrypted its own Megolm wrong")
        EXCHANGES += 1
    for index in (0, 1, 5, 11, 300):
        theirs = inbound.export_at(index).to_base64()
        ours = swift("megolm_export_at", session="swift-in", index=index)["exported_key"]
        check(theirs == ours, f"export_at({index}) differs: Swift sender")
    # Each side imports the other's export and decrypts from there.
    exported = swift("megolm_export_at", session="swift-in", index=4)["exported_key"]
    imported = vz.InboundGroupSession.import_session(vz.ExportedSessionKey(exported))
    check(imported.first_known_index == 4, "vodozemac import of a Swift export: wrong first index")
    check(imported.decrypt(vz.MegolmMessage.from_base64(messages[7]["message"])).plaintext == b"swift megolm 7",
          "vodozemac could not decrypt after importing a Swift export")
    swift("megolm_inbound", session="swift-imported", exported_key=inbound.export_at(6).to_base64())
    check(swift("megolm_decrypt", session="swift-imported", message=messages[6]["message"])["plaintext"]
          == "swift megolm 6", "Swift could not decrypt after importing a vodozemac export")
    EXCHANGES += 2


def megolm_python_to_swift(swift):
    global EXCHANGES
    outbound = vz.GroupSession()
    reference = vz.InboundGroupSession(outbound.session_key)
    answer = swift("megolm_inbound", session="py-in", session_key=outbound.session_key.to_base64())
    check(answer["session_id"] == outbound.session_id, "Megolm session IDs differ (vodozemac sender)")
    messages = [outbound.encrypt(f"python megolm {i}".encode()).to_base64() for i in range(12)]
    order = list(range(12))
    random.Random(2).shuffle(order)
    for i in order:
        decrypted = swift("megolm_decrypt", session="py-in", message=messages[i])
        check(decrypted["plaintext"] == f"python megolm {i}", f"Swift decrypted vodozemac Megolm {i} wrong")
        check(decrypted["index"] == i, "Megolm index differs")
        reference.decrypt(vz.MegolmMessage.from_base64(messages[i]))
        EXCHANGES += 1
    for index in (0, 3, 11, 1000):
        theirs = reference.export_at(index).to_base64()
        ours = swift("megolm_export_at", session="py-in", index=index)["exported_key"]
        check(theirs == ours, f"export_at({index}) differs: vodozemac sender")
    # The same message again decrypts; a flipped bit is refused and leaves the session usable.
    again = swift("megolm_decrypt", session="py-in", message=messages[3])
    check(again["plaintext"] == "python megolm 3", "re-reading a Megolm message failed")
    tampered = bytearray(unb64(outbound.encrypt(b"genuine").to_base64()))
    genuine = b64(bytes(tampered))
    tampered[5] ^= 1
    swift.refuses("badSignature", "megolm_decrypt", session="py-in", message=b64(bytes(tampered)))
    check(swift("megolm_decrypt", session="py-in", message=genuine)["plaintext"] == "genuine",
          "Swift could not decrypt after refusing a tampered Megolm message")


def olm_conversation(swift, swift_name, python_session, swift_first, label):
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
                message = vz.AnyOlmMessage.from_parts(sent[i]["type"], unb64(sent[i]["body"]))
                check(python_session.decrypt(message) == texts[i].encode(), f"{label}: vodozemac decrypted wrong")
                EXCHANGES += 1
        else:
            sent = [python_session.encrypt(t.encode()).to_parts() for t in texts]
            order = list(range(count))
            random.Random(turn + 100).shuffle(order)
            for i in order:
                kind, body = sent[i]
                answer = swift("olm_decrypt", session=swift_name, type=kind, body=b64(body))
                check(answer["plaintext"] == texts[i], f"{label}: Swift decrypted wrong")
                check(answer["session_id"] == python_session.session_id, f"{label}: session IDs differ")
                EXCHANGES += 1


def olm_swift_starts(swift, use_fallback):
    global EXCHANGES
    label = "swift-starts" + ("-fallback" if use_fallback else "")
    bob = vz.Account()
    if use_fallback:
        bob.generate_fallback_key()
        key = list(bob.fallback_key.values())[0]
    else:
        bob.generate_one_time_keys(2)
        key = list(bob.one_time_keys.values())[0]
    bob.mark_keys_as_published()
    alice = swift("account_new", account=label)
    started = swift("olm_outbound", account=label, session=label,
                    identity_key=bob.curve25519_key.to_base64(), one_time_key=key.to_base64())
    first = swift("olm_encrypt", session=label, plaintext="first from swift")
    second = swift("olm_encrypt", session=label, plaintext="second from swift")
    check(first["type"] == 0 and second["type"] == 0, "Swift's first messages are not pre-key messages")
    pre_key = vz.AnyOlmMessage.from_parts(0, unb64(first["body"])).to_pre_key()
    check(pre_key.session_id() == started["session_id"], "pre-key message session ID differs")
    session, plaintext = bob.create_inbound_session(vz.Curve25519PublicKey.from_base64(alice["curve25519"]), pre_key)
    check(plaintext == b"first from swift", "vodozemac decrypted Swift's pre-key message wrong")
    check(session.session_id == started["session_id"], "Olm session IDs differ (Swift starts)")
    second_message = vz.AnyOlmMessage.from_parts(0, unb64(second["body"]))
    check(session.session_matches(second_message.to_pre_key()), "vodozemac does not match Swift's pre-key message")
    check(session.decrypt(second_message) == b"second from swift", "vodozemac decrypted the second pre-key wrong")
    EXCHANGES += 2
    olm_conversation(swift, label, session, swift_first=False, label=label)


def olm_python_starts(swift, use_fallback):
    global EXCHANGES
    label = "python-starts" + ("-fallback" if use_fallback else "")
    bob = swift("account_new", account=label)
    if use_fallback:
        key = swift("account_fallback_key", account=label)["key"]
    else:
        key = list(swift("account_one_time_keys", account=label, count=3)["keys"].values())[1]
    alice = vz.Account()
    session = alice.create_outbound_session(
        vz.Curve25519PublicKey.from_base64(bob["curve25519"]), vz.Curve25519PublicKey.from_base64(key))
    kind, body = session.encrypt(b"first from vodozemac").to_parts()
    check(kind == 0, "vodozemac's first message is not a pre-key message")
    answer = swift("olm_inbound", account=label, session=label,
                   identity_key=alice.curve25519_key.to_base64(), body=b64(body))
    check(answer["plaintext"] == "first from vodozemac", "Swift decrypted vodozemac's pre-key message wrong")
    check(answer["session_id"] == session.session_id, "Olm session IDs differ (vodozemac starts)")
    kind, body = session.encrypt(b"second from vodozemac").to_parts()
    answer = swift("olm_decrypt", session=label, type=kind, body=b64(body))
    check(answer["plaintext"] == "second from vodozemac", "Swift decrypted the second pre-key wrong")
    EXCHANGES += 2
    olm_conversation(swift, label, session, swift_first=True, label=label)
    # A flipped ciphertext bit fails the MAC; the genuine message still decrypts afterwards.
    kind, body = session.encrypt(b"genuine").to_parts()
    tampered = bytearray(body)
    tampered[-10] ^= 1
    swift.refuses("badMAC", "olm_decrypt", session=label, type=kind, body=b64(bytes(tampered)))
    check(swift("olm_decrypt", session=label, type=kind, body=b64(body))["plaintext"] == "genuine",
          "Swift could not decrypt after refusing a tampered Olm message")


def signatures(swift):
    alice = swift("account_new", account="signer")
    signature = swift("account_sign", account="signer", message="sign me")["signature"]
    vz.Ed25519PublicKey.from_base64(alice["ed25519"]).verify_signature(
        b"sign me", vz.Ed25519Signature.from_base64(signature))
    account = vz.Account()
    theirs = account.sign(b"and me").to_base64()
    check(swift("verify_ed25519", key=account.ed25519_key.to_base64(), message="and me", signature=theirs)["valid"],
          "Swift refused vodozemac's Ed25519 signature")
    check(not swift("verify_ed25519", key=account.ed25519_key.to_base64(), message="and you",
                    signature=theirs)["valid"], "Swift accepted a signature of another message")


def main():
    swift = Swift(sys.argv[1])
    try:
        megolm_swift_to_python(swift)
        megolm_python_to_swift(swift)
        for fallback in (False, True):
            olm_swift_starts(swift, fallback)
            olm_python_starts(swift, fallback)
        signatures(swift)
    except Exception as error:  # any mismatch or refusal fails the run
        print(f"crypto oracle: FAILED after {EXCHANGES} exchanges: {error}", file=sys.stderr)
        swift.close()
        print(f"crypto oracle: {CHECKS} passed, 1 failed")
        return 1
    swift.close()
    if EXCHANGES == 0:
        print("crypto oracle: no exchange ran", file=sys.stderr)
        return 1
    print(f"crypto oracle: {EXCHANGES} exchanges with vodozemac {importlib.metadata.version('vodozemac')} agreed")
    print(f"crypto oracle: {CHECKS} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
