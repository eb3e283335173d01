@testable import KeyportClientCrypto

/// Two accounts with a session each way: Alice starts it with one of Bob's one-time keys and Bob
/// answers her first pre-key message.
struct OlmPair {
    var alice = OlmAccount()
    var bob = OlmAccount()
    var aliceSession: OlmSession
    var bobSession: OlmSession

    init(first: String = "hello bob") throws {
        bob.generateOneTimeKeys(1)
        let oneTimeKey = bob.unpublishedOneTimeKeys.values.first!
        aliceSession = try alice.createOutboundSession(identityKey: bob.curve25519Key, oneTimeKey: oneTimeKey)
        let message = try aliceSession.encrypt(Array(first.utf8))
        guard case .preKey(let preKey) = message else { throw ClientCryptoError.malformedMessage("not pre-key") }
        let (session, plaintext) = try bob.createInboundSession(theirIdentityKey: alice.curve25519Key, message: preKey)
        precondition(plaintext == Array(first.utf8))
        bobSession = session
    }
}
