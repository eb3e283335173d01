import MatrixModel

/// The two forms in which a Megolm session travels (docs/megolm.md): the session key that the
/// sender signs (version 2: index, R(i), public signing key, signature), and the export that
/// anyone holding the session can make at a later index (version 1, unsigned).
public struct MegolmSessionKey: Sendable, Equatable {
    public static let version: UInt8 = 2
    public static let exportVersion: UInt8 = 1

    public let ratchet: MegolmRatchet
    public let signingKey: Ed25519PublicKey

    public init(ratchet: MegolmRatchet, signingKey: Ed25519PublicKey) {
        self.ratchet = ratchet
        self.signingKey = signingKey
    }

    private func body(version: UInt8) -> [UInt8] {
        let counter = ratchet.counter
        let index: [UInt8] = [
            UInt8(truncatingIfNeeded: counter >> 24), UInt8(truncatingIfNeeded: counter >> 16),
            UInt8(truncatingIfNeeded: counter >> 8), UInt8(truncatingIfNeeded: counter),
        ]
        return [version] + index + ratchet.data.bytes + signingKey.bytes
    }

    /// The signed session key, as `m.room_key` carries it.
    func signed(by keyPair: Ed25519KeyPair) -> String {
        let body = body(version: Self.version)
        return Base64Unpadded.encode(body + keyPair.sign(body))
    }

    /// The unsigned export, as `m.forwarded_room_key` and key backups carry it.
    public var exported: String { Base64Unpadded.encode(body(version: Self.exportVersion)) }

    private static func parse(_ bytes: [UInt8], version: UInt8) throws(ClientCryptoError) -> MegolmSessionKey {
        guard bytes.count >= 165, bytes[0] == version else {
            throw .malformedMessage("Megolm session key: expected version \(version) and 165 bytes")
        }
        let counter = bytes[1..<5].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let ratchet = try MegolmRatchet(data: Array(bytes[5..<133]), counter: counter)
        return MegolmSessionKey(ratchet: ratchet, signingKey: try Ed25519PublicKey(bytes: Array(bytes[133..<165])))
    }

    /// Parses a signed session key, refusing one whose signature does not verify.
    public init(sessionKey base64: String) throws(ClientCryptoError) {
        guard let bytes = Base64Unpadded.decode(base64), bytes.count == 229 else {
            throw .malformedMessage("a Megolm session key is 229 bytes of base64")
        }
        let key = try Self.parse(bytes, version: Self.version)
        guard key.signingKey.verify(Array(bytes[0..<165]), signature: Array(bytes[165...])) else {
            throw .badSignature
        }
        self = key
    }

    /// Parses an exported session key.
    public init(exportedKey base64: String) throws(ClientCryptoError) {
        guard let bytes = Base64Unpadded.decode(base64), bytes.count == 165 else {
            throw .malformedMessage("an exported Megolm session key is 165 bytes of base64")
        }
        self = try Self.parse(bytes, version: Self.exportVersion)
    }
}
