public import KeyportStore
public import MatrixModel
import MatrixSigning

/// The rules a device's uploaded keys must pass before anything is stored (guarantee 4).
public enum DeviceKeysValidator {
    /// Checks a `DeviceKeys` object uploaded by `userID`'s `deviceID` and returns its ed25519 key.
    ///
    /// Missing or mistyped fields are `M_BAD_JSON`; a wrong owner, missing identity keys or a bad
    /// self-signature are `M_INVALID_PARAM`.
    public static func validateDeviceKeys(
        _ object: JSONObject, userID: String, deviceID: String
    ) throws(MatrixError) -> String {
        let owner = try object.requiredString("user_id")
        let device = try object.requiredString("device_id")
        _ = try object.requiredStringArray("algorithms")
        let keys = try object.requiredObject("keys")
        _ = try object.requiredObject("signatures")
        guard owner == userID else { throw .invalidParam("device_keys.user_id does not match the authenticated user") }
        guard device == deviceID else {
            throw .invalidParam("device_keys.device_id does not match the authenticated device")
        }
        for (keyID, value) in keys {
            guard KeyID(keyID) != nil, value.stringValue != nil else {
                throw .badJSON("device_keys.keys must map '<algorithm>:<device_id>' to strings")
            }
        }
        guard let ed25519 = keys["ed25519:\(deviceID)"]?.stringValue,
            let bytes = Base64Unpadded.decode(ed25519), bytes.count == 32
        else { throw .invalidParam("device_keys.keys must hold a 32-byte ed25519:\(deviceID) key") }
        guard keys["curve25519:\(deviceID)"]?.stringValue != nil else {
            throw .invalidParam("device_keys.keys must hold curve25519:\(deviceID)")
        }
        switch SignedJSON.verify(object, entity: userID, keyID: "ed25519:\(deviceID)", publicKeyBase64: ed25519) {
        case .valid: return ed25519
        case .missing: throw .invalidParam("device_keys carry no self-signature by ed25519:\(deviceID)")
        case .invalid(let why): throw .invalidParam("device_keys self-signature is invalid: \(why)")
        }
    }

    /// Checks a map of one-time or fallback keys. `signed_curve25519` keys must be objects signed by
    /// the device's ed25519 key (`deviceEd25519`, nil if the device has none yet).
    public static func validateKeyMap(
        _ map: JSONObject, field: String, userID: String, deviceID: String, deviceEd25519: String?
    ) throws(MatrixError) -> [OneTimeKey] {
        var keys: [OneTimeKey] = []
        for (rawKeyID, value) in map.sorted(by: { $0.key < $1.key }) {
            guard let keyID = KeyID(rawKeyID) else {
                throw .badJSON("\(field): key ID '\(rawKeyID)' is not '<algorithm>:<id>'")
            }
            switch value {
            case .string: break
            case .object(let object):
                guard object["key"]?.stringValue != nil else {
                    throw .badJSON("\(field).\(rawKeyID) needs a 'key' string")
                }
            default: throw .badJSON("\(field).\(rawKeyID) must be a string or a key object")
            }
            if keyID.algorithm == "signed_curve25519" {
                guard let object = value.objectValue else {
                    throw .badJSON("\(field).\(rawKeyID) must be a signed key object")
                }
                guard let deviceEd25519 else {
                    throw .invalidParam(
                        "\(field).\(rawKeyID) cannot be checked: the device has no ed25519 key; upload device_keys")
                }
                let check = SignedJSON.verify(
                    object, entity: userID, keyID: "ed25519:\(deviceID)", publicKeyBase64: deviceEd25519)
                guard check.isValid else {
                    throw .invalidParam("\(field).\(rawKeyID) is not signed by ed25519:\(deviceID)")
                }
            }
            keys.append(OneTimeKey(keyID: rawKeyID, algorithm: keyID.algorithm, value: value))
        }
        return keys
    }
}
