/// The authenticated encryption both Olm and Megolm use: HKDF-SHA-256 (zero salt) expands a key into
/// an AES-256 key, an HMAC-SHA-256 key and a 16-byte IV (80 bytes, in that order); the plaintext is
/// AES-256-CBC/PKCS#7 encrypted, and the MAC, truncated to 8 bytes, covers the encoded message.
struct MessageCipher {
    static let olmInfo = Array("OLM_KEYS".utf8)
    static let megolmInfo = Array("MEGOLM_KEYS".utf8)
    /// Olm and Megolm version 1 ("v3" messages) keep the first 8 bytes of the MAC.
    static let truncatedMACLength = 8

    let aesKey: [UInt8]
    let macKey: [UInt8]
    let iv: [UInt8]

    init(key: [UInt8], info: [UInt8]) {
        let expanded = Primitives.hkdfSHA256(inputKeyMaterial: key, salt: [0], info: info, count: 80)
        aesKey = Array(expanded[0..<32])
        macKey = Array(expanded[32..<64])
        iv = Array(expanded[64..<80])
    }

    /// The cipher for one Olm message key.
    static func olm(messageKey: [UInt8]) -> MessageCipher { MessageCipher(key: messageKey, info: olmInfo) }

    /// The cipher for one Megolm ratchet value R(i), all 128 bytes.
    static func megolm(ratchet: [UInt8]) -> MessageCipher { MessageCipher(key: ratchet, info: megolmInfo) }

    func encrypt(_ plaintext: [UInt8]) throws(ClientCryptoError) -> [UInt8] {
        try Primitives.aes256CBCEncrypt(key: aesKey, iv: iv, plaintext: plaintext)
    }

    func decrypt(_ ciphertext: [UInt8]) throws(ClientCryptoError) -> [UInt8] {
        try Primitives.aes256CBCDecrypt(key: aesKey, iv: iv, ciphertext: ciphertext)
    }

    /// The truncated MAC of the bytes before it.
    func truncatedMAC(_ bytes: [UInt8]) -> [UInt8] {
        Array(Primitives.hmacSHA256(key: macKey, message: bytes).prefix(Self.truncatedMACLength))
    }

    /// Checks a truncated MAC in constant time.
    func verifyTruncatedMAC(_ bytes: [UInt8], mac: [UInt8]) throws(ClientCryptoError) {
        guard ConstantTime.equals(truncatedMAC(bytes), mac) else { throw .badMAC }
    }
}
