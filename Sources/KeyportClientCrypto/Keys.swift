import MatrixModel

/// Bytes that persist as unpadded base64 in a pickle: secrets and chain keys as well as public
/// keys. A value type, so a session's state is copied, never shared, and a failed step leaves the
/// caller's copy as it was.
public struct Base64Bytes: Sendable, Hashable, Codable, CustomStringConvertible {
    public var bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let bytes = Base64Unpadded.decode(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not base64"))
        }
        self.bytes = bytes
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Base64Unpadded.encode(bytes))
    }

    public var base64: String { Base64Unpadded.encode(bytes) }
    public var description: String { base64 }
}

/// A 32-byte public key that reads and writes itself as unpadded base64, in JSON and in pickles.
public protocol Base64PublicKey: Sendable, Hashable, Codable, CustomStringConvertible {
    /// What the key is called in error messages ("a Curve25519 key").
    static var kind: String { get }
    var bytes: [UInt8] { get }
    init(bytes: [UInt8]) throws(ClientCryptoError)
}

extension Base64PublicKey {
    public init(base64: String) throws(ClientCryptoError) {
        guard let bytes = Base64Unpadded.decode(base64) else { throw .invalidKey("\(Self.kind) is base64") }
        try self.init(bytes: bytes)
    }

    public init(from decoder: any Decoder) throws {
        try self.init(base64: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(base64)
    }

    /// Checks the length every such key has.
    static func checked(_ bytes: [UInt8]) throws(ClientCryptoError) -> [UInt8] {
        guard bytes.count == 32 else { throw .invalidKey("\(kind) is 32 bytes, got \(bytes.count)") }
        return bytes
    }

    public var base64: String { Base64Unpadded.encode(bytes) }
    public var description: String { base64 }
}

/// A Curve25519 (X25519) public key: an identity key, one-time key, base key or ratchet key.
public struct Curve25519PublicKey: Base64PublicKey {
    public static let kind = "a Curve25519 key"
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(ClientCryptoError) {
        self.bytes = try Self.checked(bytes)
    }

}

/// A Curve25519 key pair whose secret persists with the state that owns it.
public struct Curve25519KeyPair: Sendable, Codable {
    public let secret: Base64Bytes
    public let publicKey: Curve25519PublicKey

    /// A fresh key pair from the system's secure random generator.
    public init() {
        // A random 32-byte string is a valid X25519 secret: the function clamps it.
        try! self.init(secret: Primitives.randomBytes(32))
    }

    public init(secret: [UInt8]) throws(ClientCryptoError) {
        self.secret = Base64Bytes(secret)
        publicKey = try Curve25519PublicKey(bytes: try Primitives.x25519PublicKey(secret: secret))
    }

    /// X25519 with their key, refusing an all-zero result.
    func diffieHellman(_ theirs: Curve25519PublicKey) throws(ClientCryptoError) -> [UInt8] {
        try Primitives.x25519(secret: secret.bytes, publicKey: theirs.bytes)
    }
}

/// An Ed25519 public key: an account's fingerprint key or a Megolm session's signing key.
public struct Ed25519PublicKey: Base64PublicKey {
    public static let kind = "an Ed25519 key"
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(ClientCryptoError) {
        self.bytes = try Self.checked(bytes)
    }

    /// Whether `signature` is this key's signature of `message`.
    public func verify(_ message: [UInt8], signature: [UInt8]) -> Bool {
        Primitives.ed25519Verify(publicKey: bytes, message: message, signature: signature)
    }

}

/// An Ed25519 key pair kept as its 32-byte seed, the form RFC 8032 and swift-crypto use.
public struct Ed25519KeyPair: Sendable, Codable {
    public let seed: Base64Bytes
    public let publicKey: Ed25519PublicKey

    public init() {
        try! self.init(seed: Primitives.randomBytes(32))
    }

    public init(seed: [UInt8]) throws(ClientCryptoError) {
        self.seed = Base64Bytes(seed)
        publicKey = try Ed25519PublicKey(bytes: try Primitives.ed25519PublicKey(seed: seed))
    }

    /// The 64-byte signature of `message`.
    public func sign(_ message: [UInt8]) -> [UInt8] {
        // The seed was checked when the pair was made.
        try! Primitives.ed25519Sign(seed: seed.bytes, message: message)
    }
}
