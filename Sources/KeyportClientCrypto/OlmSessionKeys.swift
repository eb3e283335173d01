import MatrixModel

/// The three public keys a session starts from: the initiator's identity key and base key, and
/// the receiver's one-time key. Both sides hold the same three, so both compute the same ID.
public struct OlmSessionKeys: Sendable, Hashable, Codable {
    public let identityKey: Curve25519PublicKey
    public let baseKey: Curve25519PublicKey
    public let oneTimeKey: Curve25519PublicKey

    public init(identityKey: Curve25519PublicKey, baseKey: Curve25519PublicKey, oneTimeKey: Curve25519PublicKey) {
        self.identityKey = identityKey
        self.baseKey = baseKey
        self.oneTimeKey = oneTimeKey
    }

    /// vodozemac's session ID: unpadded base64 of SHA-256(identity key ‖ base key ‖ one-time key).
    public var sessionID: String {
        Base64Unpadded.encode(Primitives.sha256(identityKey.bytes + baseKey.bytes + oneTimeKey.bytes))
    }
}
