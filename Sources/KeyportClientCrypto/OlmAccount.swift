public import MatrixModel
import MatrixSigning

/// A device's Olm account: its long-lived Curve25519 identity key and Ed25519 fingerprint key, its
/// one-time keys and fallback keys. It signs the JSON the device uploads and makes sessions. A value
/// type the caller persists (`Codable`) after every mutating call, above all after
/// `createInboundSession`, which uses up a one-time key.
public struct OlmAccount: Sendable, Codable {
    /// How many one-time keys vodozemac suggests keeping on the server.
    public static let maxPublishedOneTimeKeys = 50

    public let signingKey: Ed25519KeyPair
    public let identityKey: Curve25519KeyPair
    public private(set) var oneTimeKeys = OneTimeKeys()
    public private(set) var fallbackKeys = FallbackKeys()

    public init() {
        signingKey = Ed25519KeyPair()
        identityKey = Curve25519KeyPair()
    }

    /// An account from given secrets, for tests and vectors.
    public init(ed25519Seed: [UInt8], curve25519Secret: [UInt8]) throws(ClientCryptoError) {
        signingKey = try Ed25519KeyPair(seed: ed25519Seed)
        identityKey = try Curve25519KeyPair(secret: curve25519Secret)
    }

    public var ed25519Key: Ed25519PublicKey { signingKey.publicKey }
    public var curve25519Key: Curve25519PublicKey { identityKey.publicKey }

    /// The Ed25519 signature of `message`.
    public func sign(_ message: [UInt8]) -> [UInt8] { signingKey.sign(message) }

    // MARK: One-time and fallback keys

    /// Makes `count` one-time keys, dropping the oldest beyond vodozemac's cap.
    @discardableResult
    public mutating func generateOneTimeKeys(_ count: Int) -> (
        created: [Curve25519PublicKey], removed: [Curve25519PublicKey]
    ) {
        oneTimeKeys.generate(count)
    }

    /// The one-time keys not yet marked published, by key ID.
    public var unpublishedOneTimeKeys: [KeyID: Curve25519PublicKey] { oneTimeKeys.unpublished }

    /// Makes a new fallback key; returns the previous-previous key it dropped, if any.
    @discardableResult
    public mutating func generateFallbackKey() -> Curve25519PublicKey? { fallbackKeys.generate() }

    /// The current fallback key if it is not published yet.
    public var unpublishedFallbackKey: (id: KeyID, key: Curve25519PublicKey)? {
        guard let current = fallbackKeys.current, !current.published else { return nil }
        return (current.id, current.publicKey)
    }

    /// Stops accepting the previous fallback key; true if there was one.
    @discardableResult
    public mutating func forgetPreviousFallbackKey() -> Bool { fallbackKeys.forgetPrevious() }

    /// After a successful upload: the keys uploaded are no longer offered for upload.
    public mutating func markKeysAsPublished() {
        oneTimeKeys.markPublished()
        fallbackKeys.markPublished()
    }

    // MARK: Sessions

    /// A session to a device with `identityKey`, using one of its claimed one-time (or fallback)
    /// keys. Every message it sends is a pre-key message until the other side answers.
    public func createOutboundSession(
        identityKey theirIdentityKey: Curve25519PublicKey, oneTimeKey: Curve25519PublicKey
    )
        throws(ClientCryptoError) -> OlmSession
    {
        let baseKey = Curve25519KeyPair()
        // 3DH: ECDH(I_A, E_B) ‖ ECDH(E_A, I_B) ‖ ECDH(E_A, E_B).
        let secret =
            try identityKey.diffieHellman(oneTimeKey) + baseKey.diffieHellman(theirIdentityKey)
            + baseKey.diffieHellman(oneTimeKey)
        let keys = OlmSessionKeys(identityKey: curve25519Key, baseKey: baseKey.publicKey, oneTimeKey: oneTimeKey)
        return OlmSession(sessionKeys: keys, sharedSecret: secret)
    }

    /// The session a pre-key message starts, with its plaintext. The one-time key it used is removed
    /// (a fallback key is kept); nothing changes when it throws.
    public mutating func createInboundSession(
        theirIdentityKey: Curve25519PublicKey, message: OlmPreKeyMessage
    ) throws(ClientCryptoError) -> (session: OlmSession, plaintext: [UInt8]) {
        guard theirIdentityKey == message.sessionKeys.identityKey else { throw .identityKeyMismatch }
        let oneTimeKeyPublic = message.sessionKeys.oneTimeKey
        guard
            let oneTimeKey = oneTimeKeys.keyPair(for: oneTimeKeyPublic)
                ?? fallbackKeys.keyPair(for: oneTimeKeyPublic)
        else { throw .unknownOneTimeKey }
        let secret =
            try oneTimeKey.diffieHellman(message.sessionKeys.identityKey)
            + identityKey.diffieHellman(message.sessionKeys.baseKey)
            + oneTimeKey.diffieHellman(message.sessionKeys.baseKey)
        var session = OlmSession(
            sessionKeys: message.sessionKeys, sharedSecret: secret, theirRatchetKey: message.message.ratchetKey)
        let plaintext = try session.decrypt(message.message)
        oneTimeKeys.remove(oneTimeKeyPublic)
        return (session, plaintext)
    }

    // MARK: Signed JSON for upload

    /// The object signed by this device (`signatures[userID]["ed25519:" + deviceID]`), as the
    /// Matrix appendix defines signing JSON: `signatures` and `unsigned` left out of the bytes.
    public func signJSON(_ object: JSONObject, userID: String, deviceID: String) throws -> JSONObject {
        let signature = sign(try SignedJSON.signingBytes(of: object))
        return SignedJSON.adding(
            Base64Unpadded.encode(signature), entity: userID, keyID: "ed25519:\(deviceID)", to: object)
    }

    /// The signed `device_keys` object of `/keys/upload`.
    public func deviceKeys(userID: String, deviceID: String) throws -> JSONObject {
        let object: JSONObject = [
            "user_id": .string(userID),
            "device_id": .string(deviceID),
            "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
            "keys": .object([
                "curve25519:\(deviceID)": .string(curve25519Key.base64),
                "ed25519:\(deviceID)": .string(ed25519Key.base64),
            ]),
        ]
        return try signJSON(object, userID: userID, deviceID: deviceID)
    }

    /// The signed `one_time_keys` object of `/keys/upload`: `signed_curve25519:<id>` each.
    public func signedOneTimeKeys(userID: String, deviceID: String) throws -> JSONObject {
        var result = JSONObject()
        for (id, key) in unpublishedOneTimeKeys.sorted(by: { $0.key < $1.key }) {
            let signed = try signJSON(["key": .string(key.base64)], userID: userID, deviceID: deviceID)
            result["signed_curve25519:\(id.base64)"] = .object(signed)
        }
        return result
    }

    /// The signed `fallback_keys` object of `/keys/upload` (empty when nothing new to upload).
    public func signedFallbackKeys(userID: String, deviceID: String) throws -> JSONObject {
        guard let (id, key) = unpublishedFallbackKey else { return [:] }
        let signed = try signJSON(
            ["key": .string(key.base64), "fallback": true], userID: userID, deviceID: deviceID)
        return ["signed_curve25519:\(id.base64)": .object(signed)]
    }
}
