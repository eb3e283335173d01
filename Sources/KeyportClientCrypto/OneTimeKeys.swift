import MatrixModel

/// The ID under which a one-time or fallback key is uploaded: vodozemac's counter as 8 big-endian
/// bytes in unpadded base64 ("AAAAAAAAAAA" for 0).
public struct KeyID: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public let value: UInt64

    public init(_ value: UInt64) { self.value = value }

    public var base64: String {
        Base64Unpadded.encode((0..<8).reversed().map { UInt8(truncatingIfNeeded: value >> (UInt64($0) * 8)) })
    }

    public var description: String { base64 }
    public static func < (lhs: KeyID, rhs: KeyID) -> Bool { lhs.value < rhs.value }
}

/// A Curve25519 key the account offers for one session each (or, as a fallback key, for as many
/// as arrive until it is replaced).
public struct OneTimeKey: Sendable, Codable {
    public let id: KeyID
    public let keyPair: Curve25519KeyPair
    public var published: Bool

    public var publicKey: Curve25519PublicKey { keyPair.publicKey }
}

/// The account's one-time keys, oldest first. vodozemac keeps at most 100 × 50 secret keys and drops
/// the oldest when a new one would exceed that; so do we.
public struct OneTimeKeys: Sendable, Codable {
    public static let maxStored = 100 * OlmAccount.maxPublishedOneTimeKeys

    public private(set) var nextKeyID: UInt64 = 0
    public private(set) var keys: [OneTimeKey] = []

    /// Makes `count` keys; returns those made and those dropped to stay within the cap.
    mutating func generate(_ count: Int) -> (created: [Curve25519PublicKey], removed: [Curve25519PublicKey]) {
        var created: [Curve25519PublicKey] = []
        var removed: [Curve25519PublicKey] = []
        for _ in 0..<count {
            if keys.count >= Self.maxStored { removed.append(keys.removeFirst().publicKey) }
            let key = OneTimeKey(id: KeyID(nextKeyID), keyPair: Curve25519KeyPair(), published: false)
            keys.append(key)
            created.append(key.publicKey)
            nextKeyID &+= 1
        }
        return (created, removed)
    }

    mutating func markPublished() {
        for index in keys.indices { keys[index].published = true }
    }

    func keyPair(for publicKey: Curve25519PublicKey) -> Curve25519KeyPair? {
        keys.first { $0.publicKey == publicKey }?.keyPair
    }

    @discardableResult
    mutating func remove(_ publicKey: Curve25519PublicKey) -> Bool {
        guard let index = keys.firstIndex(where: { $0.publicKey == publicKey }) else { return false }
        keys.remove(at: index)
        return true
    }

    var unpublished: [KeyID: Curve25519PublicKey] {
        Dictionary(uniqueKeysWithValues: keys.filter { !$0.published }.map { ($0.id, $0.publicKey) })
    }
}

/// The fallback keys, as vodozemac keeps them: the current one, offered when the one-time keys run
/// out, and the previous one, still accepted until the caller forgets it (messages claimed with it
/// may still be on their way). Neither is removed when a session uses it.
public struct FallbackKeys: Sendable, Codable {
    public private(set) var nextKeyID: UInt64 = 0
    public private(set) var current: OneTimeKey?
    public private(set) var previous: OneTimeKey?

    /// A new current key; the old current one becomes previous and the old previous one is dropped
    /// (returned).
    mutating func generate() -> Curve25519PublicKey? {
        let dropped = previous?.publicKey
        previous = current
        current = OneTimeKey(id: KeyID(nextKeyID), keyPair: Curve25519KeyPair(), published: false)
        nextKeyID &+= 1
        return dropped
    }

    mutating func markPublished() { current?.published = true }

    mutating func forgetPrevious() -> Bool {
        defer { previous = nil }
        return previous != nil
    }

    func keyPair(for publicKey: Curve25519PublicKey) -> Curve25519KeyPair? {
        if let current, current.publicKey == publicKey { return current.keyPair }
        if let previous, previous.publicKey == publicKey { return previous.keyPair }
        return nil
    }
}
