import Crypto
import MatrixModel
import MatrixSigning

/// Real Ed25519 device keys for a test device, signed the way clients sign them.
struct DeviceKeyFactory: Sendable {
    let userID: String
    let deviceID: String
    let signingKey: SigningKey
    let curveKey = Base64Unpadded.encode(Curve25519.KeyAgreement.PrivateKey().publicKey.rawRepresentation)

    init(userID: String, deviceID: String, seed: [UInt8]? = nil) {
        self.userID = userID
        self.deviceID = deviceID
        if let seed {
            self.signingKey = try! SigningKey(version: deviceID, seed: seed)
        } else {
            self.signingKey = SigningKey(version: deviceID, privateKey: Curve25519.Signing.PrivateKey())
        }
    }

    init(_ user: TestUser) {
        self.init(userID: user.userID, deviceID: user.deviceID)
    }

    var ed25519: String { signingKey.publicKeyBase64 }

    /// Self-signed `DeviceKeys`.
    func deviceKeys() -> JSONValue {
        let object: JSONObject = [
            "user_id": .string(userID), "device_id": .string(deviceID),
            "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
            "keys": .object(["ed25519:\(deviceID)": .string(ed25519), "curve25519:\(deviceID)": .string(curveKey)]),
        ]
        return .object(try! SignedJSON.sign(object, entity: userID, key: signingKey))
    }

    /// A signed `signed_curve25519` key object.
    func signedKey(fallback: Bool = false) -> JSONValue {
        var object: JSONObject = [
            "key": .string(Base64Unpadded.encode(Curve25519.KeyAgreement.PrivateKey().publicKey.rawRepresentation))
        ]
        if fallback { object["fallback"] = true }
        return .object(try! SignedJSON.sign(object, entity: userID, key: signingKey))
    }

    /// `count` signed one-time keys with IDs `AAAA<n>` from `start`.
    func oneTimeKeys(count: Int, start: Int = 0) -> JSONValue {
        var map: JSONObject = [:]
        for index in start..<(start + count) { map["signed_curve25519:AAAA\(index)"] = signedKey() }
        return .object(map)
    }

    /// Signs any object with this device's key (e.g. the user's master key).
    func sign(_ object: JSONValue) -> JSONValue {
        .object(try! SignedJSON.sign(object.objectValue!, entity: userID, key: signingKey))
    }
}

/// A cross-signing key pair for tests.
struct CrossSigningKeyFactory: Sendable {
    let userID: String
    let usage: String
    let key = SigningKey(version: "x", privateKey: Curve25519.Signing.PrivateKey())

    var publicKey: String { key.publicKeyBase64 }
    var keyID: String { "ed25519:\(publicKey)" }

    /// The key object, optionally signed by another (master) key.
    func object(signedBy signer: CrossSigningKeyFactory? = nil) -> JSONValue {
        let object: JSONObject = [
            "user_id": .string(userID), "usage": [.string(usage)], "keys": .object([keyID: .string(publicKey)]),
        ]
        guard let signer else { return .object(object) }
        return signer.sign(.object(object))
    }

    /// Signs an object with this key under its `ed25519:<pub>` ID.
    func sign(_ object: JSONValue) -> JSONValue {
        let signing = SigningKey(version: publicKey, privateKey: key.privateKey)
        return .object(try! SignedJSON.sign(object.objectValue!, entity: userID, key: signing))
    }
}
