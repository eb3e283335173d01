import MatrixModel

/// A Megolm message (docs/megolm.md, "Message format"): version 3, the protobuf payload (tag 0x08
/// message index, tag 0x12 ciphertext), an 8-byte truncated MAC over the bytes before it, and a
/// 64-byte Ed25519 signature over everything before it.
public struct MegolmMessage: Sendable, Equatable {
    public static let version: UInt8 = 3
    static let suffixLength = MessageCipher.truncatedMACLength + 64

    public let messageIndex: UInt32
    public let ciphertext: [UInt8]
    public let mac: [UInt8]
    public let signature: [UInt8]

    init(messageIndex: UInt32, ciphertext: [UInt8], mac: [UInt8], signature: [UInt8]) {
        self.messageIndex = messageIndex
        self.ciphertext = ciphertext
        self.mac = mac
        self.signature = signature
    }

    /// Parses a message; MAC and signature are checked by the session that decrypts it.
    public init(bytes: [UInt8]) throws(ClientCryptoError) {
        guard let version = bytes.first else { throw .malformedMessage("empty Megolm message") }
        guard version == Self.version else { throw .malformedMessage("Megolm message version \(version)") }
        guard bytes.count >= Self.suffixLength + 2 else { throw .malformedMessage("Megolm message too short") }
        let payloadEnd = bytes.count - Self.suffixLength
        let fields = try ProtobufReader(bytes[1..<payloadEnd])
        guard let index = fields.integers[1], index <= UInt64(UInt32.max) else {
            throw .malformedMessage("Megolm message without a 32-bit index")
        }
        messageIndex = UInt32(index)
        ciphertext = fields.bytes[2] ?? []
        mac = Array(bytes[payloadEnd..<payloadEnd + MessageCipher.truncatedMACLength])
        signature = Array(bytes[(bytes.count - 64)...])
    }

    public init(base64: String) throws(ClientCryptoError) {
        guard let bytes = Base64Unpadded.decode(base64) else { throw .malformedMessage("Megolm message is not base64") }
        try self.init(bytes: bytes)
    }

    /// Version and payload, re-encoded as vodozemac does: the bytes the MAC covers.
    var macBytes: [UInt8] {
        [Self.version] + ProtobufWriter.integerField(tag: 0x08, UInt64(messageIndex))
            + ProtobufWriter.bytesField(tag: 0x12, ciphertext)
    }

    /// Everything the signature covers.
    var signatureBytes: [UInt8] { macBytes + mac }

    public var bytes: [UInt8] { signatureBytes + signature }
    public var base64: String { Base64Unpadded.encode(bytes) }
}
