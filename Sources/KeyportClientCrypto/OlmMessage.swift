import MatrixModel

/// A normal Olm message (docs/olm.md, "Normal message format"): version 3, then tag 0x0A the
/// sender's ratchet key, tag 0x10 the chain index, tag 0x22 the ciphertext, then an 8-byte MAC of
/// all bytes before it.
public struct OlmNormalMessage: Sendable, Equatable {
    public static let version: UInt8 = 3

    public let ratchetKey: Curve25519PublicKey
    public let chainIndex: UInt64
    public let ciphertext: [UInt8]
    public let mac: [UInt8]

    init(ratchetKey: Curve25519PublicKey, chainIndex: UInt64, ciphertext: [UInt8], mac: [UInt8]) {
        self.ratchetKey = ratchetKey
        self.chainIndex = chainIndex
        self.ciphertext = ciphertext
        self.mac = mac
    }

    public init(bytes: [UInt8]) throws(ClientCryptoError) {
        guard let version = bytes.first else { throw .malformedMessage("empty Olm message") }
        guard version == Self.version else { throw .malformedMessage("Olm message version \(version)") }
        let macLength = MessageCipher.truncatedMACLength
        guard bytes.count >= macLength + 2 else { throw .malformedMessage("Olm message too short") }
        let fields = try ProtobufReader(bytes[1..<(bytes.count - macLength)])
        guard let ratchetKey = fields.bytes[1] else { throw .malformedMessage("Olm message without a ratchet key") }
        do {
            self.ratchetKey = try Curve25519PublicKey(bytes: ratchetKey)
        } catch {
            throw .malformedMessage("Olm message ratchet key is not 32 bytes")
        }
        chainIndex = fields.integers[2] ?? 0
        ciphertext = fields.bytes[4] ?? []
        mac = Array(bytes[(bytes.count - macLength)...])
    }

    /// The re-encoded header and ciphertext: what the MAC covers.
    var macBytes: [UInt8] {
        [Self.version] + ProtobufWriter.bytesField(tag: 0x0A, ratchetKey.bytes)
            + ProtobufWriter.integerField(tag: 0x10, chainIndex) + ProtobufWriter.bytesField(tag: 0x22, ciphertext)
    }

    public var bytes: [UInt8] { macBytes + mac }
}

/// A pre-key message (docs/olm.md, "Pre-key message format"): version 3, then tag 0x0A the
/// receiver's one-time key, 0x12 the sender's base key, 0x1A the sender's identity key, 0x22 the
/// encoded normal message. It carries everything the receiver needs for the 3DH.
public struct OlmPreKeyMessage: Sendable, Equatable {
    public static let version: UInt8 = 3

    public let sessionKeys: OlmSessionKeys
    public let message: OlmNormalMessage

    init(sessionKeys: OlmSessionKeys, message: OlmNormalMessage) {
        self.sessionKeys = sessionKeys
        self.message = message
    }

    public init(bytes: [UInt8]) throws(ClientCryptoError) {
        guard let version = bytes.first else { throw .malformedMessage("empty pre-key message") }
        guard version == Self.version else { throw .malformedMessage("pre-key message version \(version)") }
        let fields = try ProtobufReader(bytes[1...])
        guard let oneTimeKey = fields.bytes[1], let baseKey = fields.bytes[2], let identityKey = fields.bytes[3],
            let message = fields.bytes[4]
        else { throw .malformedMessage("pre-key message lacks a field") }
        do {
            sessionKeys = OlmSessionKeys(
                identityKey: try Curve25519PublicKey(bytes: identityKey),
                baseKey: try Curve25519PublicKey(bytes: baseKey),
                oneTimeKey: try Curve25519PublicKey(bytes: oneTimeKey))
        } catch {
            throw .malformedMessage("pre-key message key is not 32 bytes")
        }
        self.message = try OlmNormalMessage(bytes: message)
    }

    public var bytes: [UInt8] {
        [Self.version] + ProtobufWriter.bytesField(tag: 0x0A, sessionKeys.oneTimeKey.bytes)
            + ProtobufWriter.bytesField(tag: 0x12, sessionKeys.baseKey.bytes)
            + ProtobufWriter.bytesField(tag: 0x1A, sessionKeys.identityKey.bytes)
            + ProtobufWriter.bytesField(tag: 0x22, message.bytes)
    }

    /// The ID of the session this message starts.
    public var sessionID: String { sessionKeys.sessionID }
}

/// An Olm message as `m.olm.v1.curve25519-aes-sha2` carries it: `type` 0 for pre-key, 1 for normal,
/// `body` the unpadded base64 of the bytes.
public enum OlmMessage: Sendable, Equatable {
    case preKey(OlmPreKeyMessage)
    case normal(OlmNormalMessage)

    public init(type: Int, body: String) throws(ClientCryptoError) {
        guard let bytes = Base64Unpadded.decode(body) else { throw .malformedMessage("Olm body is not base64") }
        switch type {
        case 0: self = .preKey(try OlmPreKeyMessage(bytes: bytes))
        case 1: self = .normal(try OlmNormalMessage(bytes: bytes))
        default: throw .malformedMessage("Olm message type \(type)")
        }
    }

    public var type: Int {
        switch self {
        case .preKey: 0
        case .normal: 1
        }
    }

    public var bytes: [UInt8] {
        switch self {
        case .preKey(let message): message.bytes
        case .normal(let message): message.bytes
        }
    }

    public var body: String { Base64Unpadded.encode(bytes) }

    var normalMessage: OlmNormalMessage {
        switch self {
        case .preKey(let message): message.message
        case .normal(let message): message
        }
    }
}
