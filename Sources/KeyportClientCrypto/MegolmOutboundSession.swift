/// The sending side of a Megolm session: a ratchet and an Ed25519 key pair whose public half is the
/// session ID. The caller persists the session after every `encrypt`, because reusing an index
/// after a crash would reuse a key stream.
public struct MegolmOutboundSession: Sendable, Codable {
    public private(set) var ratchet: MegolmRatchet
    public let signingKey: Ed25519KeyPair

    public init() {
        ratchet = .random()
        signingKey = Ed25519KeyPair()
    }

    /// A session from given parts, for tests and vectors.
    public init(ratchet: MegolmRatchet, signingKey: Ed25519KeyPair) {
        self.ratchet = ratchet
        self.signingKey = signingKey
    }

    /// The public signing key in unpadded base64, as vodozemac and the spec name sessions.
    public var sessionID: String { signingKey.publicKey.base64 }

    /// The index the next message will use.
    public var messageIndex: UInt32 { ratchet.counter }

    /// The signed session key at the current index, to share over Olm.
    public var sessionKey: String {
        MegolmSessionKey(ratchet: ratchet, signingKey: signingKey.publicKey).signed(by: signingKey)
    }

    /// Encrypts with R(i), MACs, signs, then advances to R(i+1).
    public mutating func encrypt(_ plaintext: [UInt8]) -> MegolmMessage {
        let cipher = MessageCipher.megolm(ratchet: ratchet.data.bytes)
        // The derived key and IV always have the right sizes.
        let ciphertext = try! cipher.encrypt(plaintext)
        let unsigned = MegolmMessage(messageIndex: ratchet.counter, ciphertext: ciphertext, mac: [], signature: [])
        let mac = cipher.truncatedMAC(unsigned.macBytes)
        let withMAC = MegolmMessage(messageIndex: ratchet.counter, ciphertext: ciphertext, mac: mac, signature: [])
        let signature = signingKey.sign(withMAC.signatureBytes)
        ratchet.advance()
        return MegolmMessage(messageIndex: withMAC.messageIndex, ciphertext: ciphertext, mac: mac, signature: signature)
    }
}
