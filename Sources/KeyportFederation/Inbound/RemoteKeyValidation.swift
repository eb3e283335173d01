import KeyportServices
import MatrixModel
import MatrixSigning

/// Checks what another server says about its users before it is cached or passed on
/// (guarantee 4): device keys self-signed and naming their owner, cross-signing keys naming their
/// owner, the self-signing key signed by the master key. Anything else is dropped.
enum RemoteKeyValidation {
    /// The device keys if they are valid for `userID`'s `deviceID`.
    static func deviceKeys(_ value: JSONValue?, userID: String, deviceID: String) -> JSONObject? {
        guard let keys = value?.objectValue,
            (try? DeviceKeysValidator.validateDeviceKeys(keys, userID: userID, deviceID: deviceID)) != nil
        else { return nil }
        return keys
    }

    /// The master key if it names `userID` and is usable as `master`.
    static func masterKey(_ value: JSONValue?, userID: String) -> JSONObject? {
        guard let key = value?.objectValue, crossSigningPublicKey(key, userID: userID, usage: "master") != nil
        else { return nil }
        return key
    }

    /// The self-signing key if it names `userID` and carries a valid signature by `master`.
    static func selfSigningKey(_ value: JSONValue?, userID: String, master: JSONObject?) -> JSONObject? {
        guard let key = value?.objectValue, crossSigningPublicKey(key, userID: userID, usage: "self_signing") != nil,
            let master, let masterPublic = crossSigningPublicKey(master, userID: userID, usage: "master")
        else { return nil }
        let verified = SignedJSON.verify(
            key, entity: userID, keyID: "ed25519:\(masterPublic)", publicKeyBase64: masterPublic)
        return verified.isValid ? key : nil
    }

    /// The single ed25519 public key of a cross-signing key object for `userID` and `usage`.
    static func crossSigningPublicKey(_ key: JSONObject, userID: String, usage: String) -> String? {
        guard key["user_id"]?.stringValue == userID,
            key["usage"]?.arrayValue?.contains(.string(usage)) == true,
            let keys = key["keys"]?.objectValue, keys.count == 1,
            let (keyID, value) = keys.sortedMembers().first, keyID.hasPrefix("ed25519:"),
            let publicKey = value.stringValue, keyID == "ed25519:\(publicKey)"
        else { return nil }
        return publicKey
    }

    /// True if `userID` is a well-formed user ID of `server`.
    static func belongs(_ userID: String, to server: String) -> Bool {
        UserID(userID)?.serverName.rawValue == server
    }
}
