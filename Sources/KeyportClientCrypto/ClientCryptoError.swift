/// Every way Olm and Megolm refuse input. Typed so that a caller can tell a message that was tampered
/// with (`badMAC`, `badSignature`) from one it cannot decrypt yet or any more (`tooFarAhead`,
/// `messageKeyUnavailable`, `unknownMessageIndex`) and from a replay (`replayedMessageIndex`).
public enum ClientCryptoError: Error, Sendable, Equatable {
    /// The message authentication code does not match: the ciphertext or its header was changed.
    case badMAC
    /// An Ed25519 signature does not verify: a Megolm message or session key was not made by the
    /// holder of the session's signing key.
    case badSignature
    /// The decrypted block's PKCS#7 padding is wrong (reached only after a MAC that verified).
    case badPadding
    /// An Olm message lies further ahead in its chain than vodozemac's limit allows us to skip.
    case tooFarAhead(gap: UInt64, limit: UInt64)
    /// An Olm message behind its chain whose key was used already or dropped from the store.
    case messageKeyUnavailable(index: UInt64)
    /// A Megolm message from before the first index this session knows.
    case unknownMessageIndex(firstKnown: UInt32, index: UInt32)
    /// A Megolm index that already decrypted a different message.
    case replayedMessageIndex(UInt32)
    /// Bytes that are not a message, key or session key in the format we expect.
    case malformedMessage(String)
    /// An X25519 result of all zeros: the other side sent a low-order point, and the "shared"
    /// secret would be known to anyone.
    case allZeroSharedSecret
    /// A pre-key message names a one-time key this account does not hold (used, or never ours).
    case unknownOneTimeKey
    /// The identity key given for a pre-key message is not the one inside it.
    case identityKeyMismatch
    /// A key that is not 32 bytes of unpadded base64, or not a valid key of its kind.
    case invalidKey(String)
}
