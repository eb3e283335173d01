import MatrixModel
import Testing

@testable import KeyportClientCrypto

/// Each refusal the issue names, with its typed error, and the state left unchanged by it.
@Suite struct RefusalTests {
    /// A flipped ciphertext bit fails the Olm MAC, and the session still decrypts the real message.
    @Test func olmBadMAC() throws {
        var pair = try OlmPair()
        let message = try pair.bobSession.encrypt(Array("reply".utf8)).normalMessage
        var ciphertext = message.ciphertext
        ciphertext[0] ^= 1
        let tampered = OlmNormalMessage(
            ratchetKey: message.ratchetKey, chainIndex: message.chainIndex, ciphertext: ciphertext, mac: message.mac)
        #expect(throws: ClientCryptoError.badMAC) { try pair.aliceSession.decrypt(.normal(tampered)) }
        #expect(try pair.aliceSession.decrypt(.normal(message)) == Array("reply".utf8))
    }

    /// A flipped bit in the Megolm MAC fails the signature (which covers the MAC); a message whose
    /// MAC is wrong but freshly signed fails the MAC.
    @Test func megolmBadSignatureAndMAC() throws {
        var outbound = MegolmOutboundSession()
        var inbound = try MegolmInboundSession(sessionKey: outbound.sessionKey)
        let message = outbound.encrypt(Array("hi".utf8))
        var badMAC = message.mac
        badMAC[0] ^= 1
        let unsigned = MegolmMessage(
            messageIndex: message.messageIndex, ciphertext: message.ciphertext, mac: badMAC,
            signature: message.signature)
        #expect(throws: ClientCryptoError.badSignature) { try inbound.decrypt(unsigned) }
        let resigned = MegolmMessage(
            messageIndex: message.messageIndex, ciphertext: message.ciphertext, mac: badMAC,
            signature: outbound.signingKey.sign(unsigned.signatureBytes))
        #expect(throws: ClientCryptoError.badMAC) { try inbound.decrypt(resigned) }
        #expect(try inbound.decrypt(message).plaintext == Array("hi".utf8))
    }

    /// A session key with a broken signature is refused; the same bytes as an export (unsigned) are
    /// not the same format and are refused too.
    @Test func sessionKeyBadSignature() throws {
        let outbound = MegolmOutboundSession()
        var bytes = Base64Unpadded.decode(outbound.sessionKey)!
        bytes[200] ^= 1
        #expect(throws: ClientCryptoError.badSignature) {
            try MegolmInboundSession(sessionKey: Base64Unpadded.encode(bytes))
        }
        #expect(throws: ClientCryptoError.self) { try MegolmInboundSession(exportedKey: outbound.sessionKey) }
    }

    /// A message 2001 ahead of its chain is refused; 2000 ahead is decrypted.
    @Test func olmGapBeyondLimit() throws {
        var pair = try OlmPair()
        var messages: [OlmMessage] = []
        for index in 0...2001 { messages.append(try pair.bobSession.encrypt(Array("m\(index)".utf8))) }
        #expect(throws: ClientCryptoError.tooFarAhead(gap: 2001, limit: 2000)) {
            try pair.aliceSession.decrypt(messages[2001])
        }
        #expect(try pair.aliceSession.decrypt(messages[2000]) == Array("m2000".utf8))
        // Only the last 40 skipped keys are kept: 1960 is still there, 1959 is gone.
        #expect(try pair.aliceSession.decrypt(messages[1960]) == Array("m1960".utf8))
        #expect(throws: ClientCryptoError.messageKeyUnavailable(index: 1959)) {
            try pair.aliceSession.decrypt(messages[1959])
        }
        // A message key is used once.
        #expect(throws: ClientCryptoError.messageKeyUnavailable(index: 1960)) {
            try pair.aliceSession.decrypt(messages[1960])
        }
    }

    /// The same Megolm index with different bytes is a replay; the same message again decrypts.
    @Test func megolmReplayedIndex() throws {
        var outbound = MegolmOutboundSession()
        let sessionKey = outbound.sessionKey
        var inbound = try MegolmInboundSession(sessionKey: sessionKey)
        let first = outbound.encrypt(Array("first".utf8))
        #expect(try inbound.decrypt(first).plaintext == Array("first".utf8))
        #expect(try inbound.decrypt(first).plaintext == Array("first".utf8))
        // The sender's key, rewound to index 0, signs a second message at the same index.
        var rewound = MegolmOutboundSession(
            ratchet: try MegolmSessionKey(sessionKey: sessionKey).ratchet, signingKey: outbound.signingKey)
        let forged = rewound.encrypt(Array("other".utf8))
        #expect(forged.messageIndex == first.messageIndex)
        #expect(throws: ClientCryptoError.replayedMessageIndex(0)) { try inbound.decrypt(forged) }
        // The refusal survives a pickle round trip.
        var restored = try roundTrip(inbound)
        #expect(throws: ClientCryptoError.replayedMessageIndex(0)) { try restored.decrypt(forged) }
    }

    /// An index before the first known one is unknown.
    @Test func megolmUnknownIndex() throws {
        var outbound = MegolmOutboundSession()
        let early = outbound.encrypt(Array("early".utf8))
        var inbound = try MegolmInboundSession(sessionKey: outbound.sessionKey)
        #expect(throws: ClientCryptoError.unknownMessageIndex(firstKnown: 1, index: 0)) { try inbound.decrypt(early) }
    }

    /// Low-order points give an all-zero X25519 result, refused in the primitive, in an outbound
    /// session and in a pre-key message.
    @Test func allZeroDiffieHellman() throws {
        let zero = [UInt8](repeating: 0, count: 32)
        let one = [1] + [UInt8](repeating: 0, count: 31)
        let secret = Primitives.randomBytes(32)
        #expect(throws: ClientCryptoError.allZeroSharedSecret) {
            try Primitives.x25519(secret: secret, publicKey: zero)
        }
        #expect(throws: ClientCryptoError.allZeroSharedSecret) { try Primitives.x25519(secret: secret, publicKey: one) }

        let alice = OlmAccount()
        var bob = OlmAccount()
        #expect(throws: ClientCryptoError.allZeroSharedSecret) {
            try alice.createOutboundSession(
                identityKey: bob.curve25519Key, oneTimeKey: try Curve25519PublicKey(bytes: zero))
        }
        // A pre-key message whose base key is a low-order point, for a one-time key Bob holds.
        bob.generateOneTimeKeys(1)
        let oneTimeKey = bob.unpublishedOneTimeKeys.values.first!
        var session = try alice.createOutboundSession(identityKey: bob.curve25519Key, oneTimeKey: oneTimeKey)
        guard case .preKey(let real) = try session.encrypt([1]) else { throw ClientCryptoError.badMAC }
        let evil = OlmPreKeyMessage(
            sessionKeys: OlmSessionKeys(
                identityKey: alice.curve25519Key, baseKey: try Curve25519PublicKey(bytes: zero), oneTimeKey: oneTimeKey),
            message: real.message)
        #expect(throws: ClientCryptoError.allZeroSharedSecret) {
            try bob.createInboundSession(theirIdentityKey: alice.curve25519Key, message: evil)
        }
        // Refused without using up the one-time key.
        #expect(bob.unpublishedOneTimeKeys.count == 1)
    }

    /// A pre-key message for a one-time key Bob does not hold, and one whose identity key differs.
    @Test func unknownOneTimeKeyAndIdentityMismatch() throws {
        var pair = try OlmPair()
        let again = try pair.aliceSession.encrypt(Array("again".utf8))
        guard case .preKey(let preKey) = again else { throw ClientCryptoError.badMAC }
        // Bob's one-time key was used by the first message.
        #expect(throws: ClientCryptoError.unknownOneTimeKey) {
            try pair.bob.createInboundSession(theirIdentityKey: pair.alice.curve25519Key, message: preKey)
        }
        #expect(throws: ClientCryptoError.identityKeyMismatch) {
            try pair.bob.createInboundSession(theirIdentityKey: pair.bob.curve25519Key, message: preKey)
        }
        // The existing session matches it and decrypts it.
        #expect(pair.bobSession.matches(preKey))
        #expect(try pair.bobSession.decrypt(again) == Array("again".utf8))
    }

    /// Malformed bytes: wrong version, truncation, a key of the wrong length.
    @Test func malformedMessages() {
        #expect(throws: ClientCryptoError.self) { try OlmNormalMessage(bytes: []) }
        #expect(throws: ClientCryptoError.self) {
            try OlmNormalMessage(bytes: [4, 0x0A, 0x20] + [UInt8](repeating: 1, count: 40))
        }
        #expect(throws: ClientCryptoError.self) {
            try OlmNormalMessage(bytes: [3, 0x0A, 0x05, 1, 2, 3, 4, 5] + [UInt8](repeating: 0, count: 8))
        }
        #expect(throws: ClientCryptoError.self) { try OlmPreKeyMessage(bytes: [3, 0x0A, 0x40]) }
        #expect(throws: ClientCryptoError.self) { try MegolmMessage(bytes: [3] + [UInt8](repeating: 1, count: 73)) }
        #expect(throws: ClientCryptoError.self) { try OlmMessage(type: 2, body: "AAAA") }
    }
}
