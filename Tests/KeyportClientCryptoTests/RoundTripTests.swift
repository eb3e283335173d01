import Foundation
import MatrixModel
import MatrixSigning
import Testing

@testable import KeyportClientCrypto

/// Persists a value as the client would, through JSON, and reads it back.
func roundTrip<T: Codable>(_ value: T) throws -> T {
    try JSONDecoder().decode(T.self, from: JSONEncoder().encode(value))
}

/// Sessions used the way a client uses them, persisted after every step.
@Suite struct RoundTripTests {
    /// Pre-key messages until Bob answers, then normal ones, with the sending direction changing
    /// several times and both sessions reloaded from JSON after every message.
    @Test func olmBothWaysWithDirectionChanges() throws {
        var pair = try OlmPair()
        #expect(pair.aliceSession.sessionID == pair.bobSession.sessionID)
        #expect(
            pair.aliceSession.sessionID
                == Base64Unpadded.encode(
                    Primitives.sha256(
                        pair.alice.curve25519Key.bytes + pair.aliceSession.sessionKeys.baseKey.bytes
                            + pair.aliceSession.sessionKeys.oneTimeKey.bytes)))
        // Alice keeps sending pre-key messages until she hears from Bob.
        let second = try pair.aliceSession.encrypt(Array("second".utf8))
        #expect(second.type == 0)
        #expect(try pair.bobSession.decrypt(second) == Array("second".utf8))

        var exchanges = 0
        for turn in 0..<6 {
            let aliceSends = turn % 2 == 1
            for index in 0..<(turn + 1) {
                let text = Array("turn \(turn) message \(index)".utf8)
                if aliceSends {
                    let message = try pair.aliceSession.encrypt(text)
                    #expect(message.type == 1)
                    #expect(try pair.bobSession.decrypt(try OlmMessage(type: message.type, body: message.body)) == text)
                } else {
                    let message = try pair.bobSession.encrypt(text)
                    #expect(message.type == 1)
                    #expect(try pair.aliceSession.decrypt(message) == text)
                }
                pair.aliceSession = try roundTrip(pair.aliceSession)
                pair.bobSession = try roundTrip(pair.bobSession)
                exchanges += 1
            }
        }
        #expect(exchanges == 21)
        #expect(pair.aliceSession.receiverChains.count == 3)
        #expect(pair.bobSession.receiverChains.count == 4)
    }

    /// Messages delivered out of order within a chain and across a ratchet step.
    @Test func olmOutOfOrder() throws {
        var pair = try OlmPair()
        let fromBob = try (0..<5).map { try pair.bobSession.encrypt(Array("b\($0)".utf8)) }
        for index in [3, 0, 4, 1, 2] {
            #expect(try pair.aliceSession.decrypt(fromBob[index]) == Array("b\(index)".utf8))
        }
        let fromAlice = try (0..<3).map { try pair.aliceSession.encrypt(Array("a\($0)".utf8)) }
        let laterFromBob = try pair.bobSession.decrypt(fromAlice[2])
        #expect(laterFromBob == Array("a2".utf8))
        let fromBobAgain = try pair.bobSession.encrypt(Array("new chain".utf8))
        #expect(try pair.aliceSession.decrypt(fromBobAgain) == Array("new chain".utf8))
        // The old chain's skipped messages still decrypt after the ratchet moved on.
        #expect(try pair.bobSession.decrypt(fromAlice[0]) == Array("a0".utf8))
        #expect(try pair.bobSession.decrypt(fromAlice[1]) == Array("a1".utf8))
    }

    /// Only the five most recent receiving chains are kept.
    @Test func olmReceiverChainCap() throws {
        var pair = try OlmPair()
        var stale: OlmMessage?
        for round in 0..<7 {
            let fromBob = try pair.bobSession.encrypt(Array("b\(round)".utf8))
            let extra = try pair.bobSession.encrypt(Array("late \(round)".utf8))
            if round == 0 { stale = extra }
            _ = try pair.aliceSession.decrypt(fromBob)
            _ = try pair.bobSession.decrypt(try pair.aliceSession.encrypt(Array("a\(round)".utf8)))
        }
        #expect(pair.aliceSession.receiverChains.count == OlmSession.maxReceiverChains)
        // The chain of round 0 is gone: its ratchet key looks new, and the root step cannot match.
        #expect(throws: ClientCryptoError.self) { try pair.aliceSession.decrypt(stale!) }
    }

    /// Megolm: encrypt, share, decrypt in and out of order, export at an index and import it.
    @Test func megolmRoundTrip() throws {
        var outbound = MegolmOutboundSession()
        var inbound = try MegolmInboundSession(sessionKey: outbound.sessionKey)
        #expect(inbound.sessionID == outbound.sessionID)
        #expect(inbound.signingKeyVerified)
        let messages = (0..<10).map { outbound.encrypt(Array("message \($0)".utf8)) }
        #expect(outbound.messageIndex == 10)
        for index in [0, 5, 2, 9, 1] {
            let message = try MegolmMessage(base64: messages[index].base64)
            let decrypted = try inbound.decrypt(message)
            #expect(decrypted.messageIndex == UInt32(index))
            #expect(decrypted.plaintext == Array("message \(index)".utf8))
            inbound = try roundTrip(inbound)
        }
        outbound = try roundTrip(outbound)
        let exported = inbound.export(at: 3)
        let export = try #require(exported)
        var imported = try MegolmInboundSession(exportedKey: export)
        #expect(!imported.signingKeyVerified)
        #expect(imported.firstKnownIndex == 3)
        #expect(imported.sessionID == outbound.sessionID)
        #expect(throws: ClientCryptoError.unknownMessageIndex(firstKnown: 3, index: 2)) {
            try imported.decrypt(messages[2])
        }
        #expect(try imported.decrypt(messages[3]).plaintext == Array("message 3".utf8))
        #expect(try imported.decrypt(messages[9]).plaintext == Array("message 9".utf8))
        let beforeFirst = imported.export(at: 2)
        let atFirst = imported.export(at: 3)
        #expect(beforeFirst == nil)
        #expect(atFirst == export)
        #expect(imported.exportAtFirstKnownIndex == export)
        // A later message after reload from the outbound pickle.
        let next = outbound.encrypt(Array("after reload".utf8))
        #expect(next.messageIndex == 10)
        #expect(try imported.decrypt(next).plaintext == Array("after reload".utf8))
    }

    /// One-time keys: generated, listed until published, removed when a session uses one; fallback
    /// keys: current and previous both accepted and kept after use, the previous one forgettable.
    @Test func accountKeys() throws {
        var bob = OlmAccount()
        bob.generateOneTimeKeys(3)
        #expect(bob.unpublishedOneTimeKeys.count == 3)
        #expect(
            bob.unpublishedOneTimeKeys.keys.sorted().map(\.base64) == ["AAAAAAAAAAA", "AAAAAAAAAAE", "AAAAAAAAAAI"])
        bob.markKeysAsPublished()
        #expect(bob.unpublishedOneTimeKeys.isEmpty)
        #expect(bob.oneTimeKeys.keys.count == 3)

        #expect(bob.generateFallbackKey() == nil)
        let firstFallback = try #require(bob.unpublishedFallbackKey).key
        bob.markKeysAsPublished()
        #expect(bob.unpublishedFallbackKey == nil)
        #expect(bob.generateFallbackKey() == nil)
        let secondFallback = try #require(bob.unpublishedFallbackKey).key

        let alice = OlmAccount()
        for fallback in [firstFallback, secondFallback, firstFallback] {
            var session = try alice.createOutboundSession(identityKey: bob.curve25519Key, oneTimeKey: fallback)
            guard case .preKey(let message) = try session.encrypt(Array("via fallback".utf8)) else {
                throw ClientCryptoError.badMAC
            }
            let (_, plaintext) = try bob.createInboundSession(theirIdentityKey: alice.curve25519Key, message: message)
            #expect(plaintext == Array("via fallback".utf8))
            bob = try roundTrip(bob)
        }
        let forgot = bob.forgetPreviousFallbackKey()
        #expect(forgot)
        var late = try alice.createOutboundSession(identityKey: bob.curve25519Key, oneTimeKey: firstFallback)
        guard case .preKey(let lateMessage) = try late.encrypt([1]) else { throw ClientCryptoError.badMAC }
        #expect(throws: ClientCryptoError.unknownOneTimeKey) {
            try bob.createInboundSession(theirIdentityKey: alice.curve25519Key, message: lateMessage)
        }
        #expect(bob.oneTimeKeys.keys.count == 3)
    }

    /// The cap on stored one-time keys drops the oldest, as vodozemac does.
    @Test func oneTimeKeyCap() {
        var account = OlmAccount()
        account.generateOneTimeKeys(OneTimeKeys.maxStored)
        let oldest = account.oneTimeKeys.keys[0].publicKey
        let (created, removed) = account.generateOneTimeKeys(2)
        #expect(created.count == 2)
        #expect(removed.first == oldest)
        #expect(removed.count == 2)
        #expect(account.oneTimeKeys.keys.count == OneTimeKeys.maxStored)
    }

    /// Device keys and one-time keys signed for upload verify with MatrixSigning.
    @Test func signedUploadJSON() throws {
        var account = OlmAccount()
        account.generateOneTimeKeys(2)
        account.generateFallbackKey()
        let deviceKeys = try account.deviceKeys(userID: "@alice:example.org", deviceID: "DEV")
        #expect(
            SignedJSON.verify(
                deviceKeys, entity: "@alice:example.org", keyID: "ed25519:DEV",
                publicKeyBase64: account.ed25519Key.base64
            ).isValid)
        #expect(deviceKeys["keys"]?["curve25519:DEV"]?.stringValue == account.curve25519Key.base64)
        let oneTimeKeys = try account.signedOneTimeKeys(userID: "@alice:example.org", deviceID: "DEV")
        #expect(oneTimeKeys.count == 2)
        for (_, value) in oneTimeKeys {
            #expect(
                SignedJSON.verify(
                    value.objectValue!, entity: "@alice:example.org", keyID: "ed25519:DEV",
                    publicKeyBase64: account.ed25519Key.base64
                ).isValid)
        }
        let fallback = try account.signedFallbackKeys(userID: "@alice:example.org", deviceID: "DEV")
        #expect(fallback.first?.value["fallback"]?.boolValue == true)
    }
}
