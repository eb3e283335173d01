import MatrixModel
import MatrixSigning

/// Signature checks on the signed JSON that `/keys/query` and `/keys/claim` return.
enum SignatureCheckHelper {
    /// Whether `object` carries a valid signature of `userID`'s device `deviceID` with `ed25519`.
    static func verify(_ object: JSONObject, userID: String, deviceID: String, ed25519: String) -> Bool {
        SignedJSON.verify(object, entity: userID, keyID: "ed25519:\(deviceID)", publicKeyBase64: ed25519).isValid
    }

    /// Whether `object` carries a valid signature of `userID` with the Ed25519 key `publicKey`
    /// under the key ID `ed25519:<publicKey>`, as cross-signing keys sign.
    static func verify(_ object: JSONObject, userID: String, crossSigningKey publicKey: String) -> Bool {
        SignedJSON.verify(object, entity: userID, keyID: "ed25519:\(publicKey)", publicKeyBase64: publicKey).isValid
    }
}
