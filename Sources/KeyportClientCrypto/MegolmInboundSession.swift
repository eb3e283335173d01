import MatrixModel

/// The receiving side of a Megolm session. It keeps the earliest ratchet it knows (to decrypt
/// history from there on, and to export) and the latest it reached (so that reading in order costs
/// one hash a message), as vodozemac does. Unlike vodozemac it also remembers, per index, a digest
/// of the message it decrypted: the same index with different bytes is a replay (docs/megolm.md,
/// "Message Replays"), the same bytes again is a re-read and decrypts as before.
public struct MegolmInboundSession: Sendable, Codable {
    public private(set) var initialRatchet: MegolmRatchet
    private var latestRatchet: MegolmRatchet
    public let signingKey: Ed25519PublicKey
    /// True when the key came signed by the session's own key (from `m.room_key`), false for an
    /// import, whose origin the caller vouches for.
    public let signingKeyVerified: Bool
    /// SHA-256 of each message decrypted, by index.
    private var seen: [UInt32: Base64Bytes]

    /// From a signed session key: the signature is checked.
    public init(sessionKey: String) throws(ClientCryptoError) {
        let key = try MegolmSessionKey(sessionKey: sessionKey)
        self.init(key: key, verified: true)
    }

    /// From an exported key (`export(at:)`, a forwarded key or a backup).
    public init(exportedKey: String) throws(ClientCryptoError) {
        let key = try MegolmSessionKey(exportedKey: exportedKey)
        self.init(key: key, verified: false)
    }

    private init(key: MegolmSessionKey, verified: Bool) {
        initialRatchet = key.ratchet
        latestRatchet = key.ratchet
        signingKey = key.signingKey
        signingKeyVerified = verified
        seen = [:]
    }

    public var sessionID: String { signingKey.base64 }
    public var firstKnownIndex: UInt32 { initialRatchet.counter }

    /// The ratchet at `index`, moving the latest one forward when that is cheaper; nil before the
    /// first known index.
    private mutating func ratchet(at index: UInt32) -> MegolmRatchet? {
        if initialRatchet.counter == index { return initialRatchet }
        if latestRatchet.counter == index { return latestRatchet }
        if latestRatchet.counter < index {
            latestRatchet.advance(to: index)
            return latestRatchet
        }
        if initialRatchet.counter < index {
            latestRatchet = initialRatchet
            latestRatchet.advance(to: index)
            return latestRatchet
        }
        return nil
    }

    /// Checks the signature, then the MAC, then decrypts. The state changes only on success.
    public mutating func decrypt(_ message: MegolmMessage) throws(ClientCryptoError) -> (
        plaintext: [UInt8], messageIndex: UInt32
    ) {
        guard signingKey.verify(message.signatureBytes, signature: message.signature) else { throw .badSignature }
        var next = self
        guard let ratchet = next.ratchet(at: message.messageIndex) else {
            throw .unknownMessageIndex(firstKnown: firstKnownIndex, index: message.messageIndex)
        }
        let cipher = MessageCipher.megolm(ratchet: ratchet.data.bytes)
        try cipher.verifyTruncatedMAC(message.macBytes, mac: message.mac)
        let plaintext = try cipher.decrypt(message.ciphertext)
        let digest = Primitives.sha256(message.bytes)
        if let earlier = next.seen[message.messageIndex] {
            guard ConstantTime.equals(earlier.bytes, digest) else { throw .replayedMessageIndex(message.messageIndex) }
        } else {
            next.seen[message.messageIndex] = Base64Bytes(digest)
        }
        self = next
        return (plaintext, message.messageIndex)
    }

    /// Decrypts a base64 message.
    public mutating func decrypt(base64: String) throws(ClientCryptoError) -> (plaintext: [UInt8], messageIndex: UInt32)
    {
        try decrypt(try MegolmMessage(base64: base64))
    }

    /// The exported key at `index`, or nil before the first known index.
    public mutating func export(at index: UInt32) -> String? {
        guard let ratchet = ratchet(at: index) else { return nil }
        return MegolmSessionKey(ratchet: ratchet, signingKey: signingKey).exported
    }

    /// The exported key at the first known index.
    public var exportAtFirstKnownIndex: String {
        MegolmSessionKey(ratchet: initialRatchet, signingKey: signingKey).exported
    }
}
