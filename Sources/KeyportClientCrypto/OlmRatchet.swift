/// The key schedule of Olm's double ratchet (docs/olm.md): the 3DH secret and each new ratchet
/// DH feed HKDF-SHA-256 into a root key and a chain key; a chain key gives message key
/// HMAC(C, 0x01) and next chain key HMAC(C, 0x02).
enum OlmKDF {
    static let rootInfo = Array("OLM_ROOT".utf8)
    static let ratchetInfo = Array("OLM_RATCHET".utf8)

    /// R0 ‖ C0,0 = HKDF(0, S, "OLM_ROOT", 64) for the 96-byte 3DH secret S.
    static func initialKeys(sharedSecret: [UInt8]) -> (root: [UInt8], chain: [UInt8]) {
        let output = Primitives.hkdfSHA256(inputKeyMaterial: sharedSecret, salt: [0], info: rootInfo, count: 64)
        return (Array(output[0..<32]), Array(output[32..<64]))
    }

    /// R(i) ‖ C(i,0) = HKDF(R(i-1), ECDH(ours, theirs), "OLM_RATCHET", 64).
    static func ratchetKeys(root: [UInt8], ours: Curve25519KeyPair, theirs: Curve25519PublicKey)
        throws(ClientCryptoError) -> (root: [UInt8], chain: [UInt8])
    {
        let shared = try ours.diffieHellman(theirs)
        let output = Primitives.hkdfSHA256(inputKeyMaterial: shared, salt: root, info: ratchetInfo, count: 64)
        return (Array(output[0..<32]), Array(output[32..<64]))
    }
}

/// A symmetric chain: its key and the index of the message that key will produce next.
struct ChainKey: Sendable, Codable, Equatable {
    var key: Base64Bytes
    var index: UInt64

    init(key: [UInt8], index: UInt64 = 0) {
        self.key = Base64Bytes(key)
        self.index = index
    }

    /// The message key for the current index.
    var messageKey: [UInt8] { Primitives.hmacSHA256(key: key.bytes, message: [0x01]) }

    mutating func advance() {
        key = Base64Bytes(Primitives.hmacSHA256(key: key.bytes, message: [0x02]))
        index += 1
    }

    /// The message key for the current index, then one step on.
    mutating func nextMessageKey() -> (index: UInt64, key: [UInt8]) {
        let result = (index, messageKey)
        advance()
        return result
    }
}

/// A message key kept for a message that has not arrived yet.
struct SkippedMessageKey: Sendable, Codable, Equatable {
    var index: UInt64
    var key: Base64Bytes
}

/// The chain of messages the other side sends under one of its ratchet keys, with the keys of
/// messages skipped on it. vodozemac's limits: a message at most 2000 ahead of the chain is
/// reached, only the last 40 skipped keys are kept, and the oldest goes first.
struct ReceiverChain: Sendable, Codable {
    static let maxMessageGap: UInt64 = 2000
    static let maxSkippedKeys = 40

    let ratchetKey: Curve25519PublicKey
    var chain: ChainKey
    var skipped: [SkippedMessageKey]

    init(ratchetKey: Curve25519PublicKey, chainKey: [UInt8]) {
        self.ratchetKey = ratchetKey
        chain = ChainKey(key: chainKey)
        skipped = []
    }

    private mutating func store(_ key: SkippedMessageKey) {
        if skipped.count >= Self.maxSkippedKeys { skipped.removeFirst() }
        skipped.append(key)
    }

    /// Decrypts a message of this chain; returns the chain as it is after it, so that the caller
    /// keeps the old one when the MAC fails.
    func decrypting(_ message: OlmNormalMessage) throws(ClientCryptoError) -> (ReceiverChain, [UInt8]) {
        let target = message.chainIndex
        let gap = target > chain.index ? target - chain.index : 0
        if gap > Self.maxMessageGap { throw .tooFarAhead(gap: gap, limit: Self.maxMessageGap) }
        var next = self
        let messageKey: [UInt8]
        if target < chain.index {
            guard let position = skipped.firstIndex(where: { $0.index == target }) else {
                throw .messageKeyUnavailable(index: target)
            }
            messageKey = skipped[position].key.bytes
            next.skipped.remove(at: position)
        } else {
            var newKeys: [SkippedMessageKey] = []
            while next.chain.index < target {
                // Keys further back than the store could hold are not worth computing.
                if target - next.chain.index > UInt64(Self.maxSkippedKeys) {
                    next.chain.advance()
                } else {
                    let (index, key) = next.chain.nextMessageKey()
                    newKeys.append(SkippedMessageKey(index: index, key: Base64Bytes(key)))
                }
            }
            messageKey = next.chain.nextMessageKey().key
            for key in newKeys { next.store(key) }
        }
        let plaintext = try OlmCipher.decrypt(message, messageKey: messageKey)
        return (next, plaintext)
    }
}

/// Encryption and decryption of one normal message with its message key.
enum OlmCipher {
    static func encrypt(_ plaintext: [UInt8], messageKey: [UInt8], ratchetKey: Curve25519PublicKey, index: UInt64)
        -> OlmNormalMessage
    {
        let cipher = MessageCipher.olm(messageKey: messageKey)
        // The derived key and IV always have the right sizes.
        let ciphertext = try! cipher.encrypt(plaintext)
        let unsigned = OlmNormalMessage(ratchetKey: ratchetKey, chainIndex: index, ciphertext: ciphertext, mac: [])
        return OlmNormalMessage(
            ratchetKey: ratchetKey, chainIndex: index, ciphertext: ciphertext,
            mac: cipher.truncatedMAC(unsigned.macBytes))
    }

    static func decrypt(_ message: OlmNormalMessage, messageKey: [UInt8]) throws(ClientCryptoError) -> [UInt8] {
        let cipher = MessageCipher.olm(messageKey: messageKey)
        try cipher.verifyTruncatedMAC(message.macBytes, mac: message.mac)
        return try cipher.decrypt(message.ciphertext)
    }
}
