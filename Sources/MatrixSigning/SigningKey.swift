public import Crypto
import MatrixModel

/// An Ed25519 signing key with its Matrix key ID (`ed25519:<version>`).
public struct SigningKey: Sendable {
    /// The version part of the key ID, e.g. `a_AbCd`.
    public let version: String
    public let privateKey: Curve25519.Signing.PrivateKey

    public init(version: String, privateKey: Curve25519.Signing.PrivateKey) {
        self.version = version
        self.privateKey = privateKey
    }

    /// A key from its 32-byte seed.
    public init(version: String, seed: [UInt8]) throws {
        self.init(version: version, privateKey: try Curve25519.Signing.PrivateKey(rawRepresentation: seed))
    }

    /// A fresh random key with a Synapse-style version `a_XXXX`.
    public static func generate() -> SigningKey {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var generator = SystemRandomNumberGenerator()
        let suffix = String((0..<4).map { _ in alphabet.randomElement(using: &generator)! })
        return SigningKey(version: "a_\(suffix)", privateKey: Curve25519.Signing.PrivateKey())
    }

    /// `ed25519:<version>`.
    public var keyID: String { "ed25519:\(version)" }

    /// The public key, unpadded base64.
    public var publicKeyBase64: String { Base64Unpadded.encode(privateKey.publicKey.rawRepresentation) }

    /// The 32-byte seed.
    public var seed: [UInt8] { Array(privateKey.rawRepresentation) }

    /// Signs bytes; the signature as unpadded base64.
    public func signature(for bytes: [UInt8]) -> String {
        // Ed25519 signing only fails if the platform's randomness fails; it is deterministic here.
        let signature = try! privateKey.signature(for: bytes)
        return Base64Unpadded.encode(signature)
    }
}
