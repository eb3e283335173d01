import KeyportStore
import MatrixModel

extension RemoteKeyValidation {
    /// The keys of a `/user/keys/claim` answer from `server` that fit what was asked, shaped as
    /// the client API's `one_time_keys`; everything else is dropped. A key is kept when its user
    /// belongs to `server` and was asked for, its device was asked for, the device's object holds
    /// exactly one key, of the algorithm asked for (`<algorithm>:<key id>`), and the key has the
    /// spec's shape: for a `signed_` algorithm a key object with a `key` string, an optional
    /// boolean `fallback` and a signature by the device (`signatures.<user>.ed25519:<device>`);
    /// otherwise a key string.
    static func claimedKeys(_ answer: JSONObject, asked: [ClaimTarget], server: String) -> JSONObject {
        var algorithms: [String: [String: String]] = [:]
        for target in asked where belongs(target.userID, to: server) {
            algorithms[target.userID, default: [:]][target.deviceID] = target.algorithm
        }
        var kept: JSONObject = [:]
        for (userID, devices) in answer["one_time_keys"]?.objectValue ?? [:] {
            guard let askedDevices = algorithms[userID], let devices = devices.objectValue else { continue }
            var keptDevices: JSONObject = [:]
            for (deviceID, keys) in devices {
                guard let algorithm = askedDevices[deviceID], let keys = keys.objectValue, keys.count == 1,
                    let (keyID, key) = keys.sortedMembers().first,
                    claimedKey(keyID: keyID, key: key, algorithm: algorithm, userID: userID, deviceID: deviceID)
                else { continue }
                keptDevices[deviceID] = .object([keyID: key])
            }
            if !keptDevices.isEmpty { kept[userID] = .object(keptDevices) }
        }
        return kept
    }

    /// Whether one claimed key is of `algorithm` and has the shape that algorithm asks for.
    private static func claimedKey(
        keyID: String, key: JSONValue, algorithm: String, userID: String, deviceID: String
    ) -> Bool {
        guard keyID.hasPrefix(algorithm + ":"), keyID.utf8.count > algorithm.utf8.count + 1 else { return false }
        guard algorithm.hasPrefix("signed_") else { return key.stringValue?.isEmpty == false }
        guard let object = key.objectValue, object["key"]?.stringValue?.isEmpty == false,
            object["signatures"]?.objectValue?[userID]?.objectValue?["ed25519:\(deviceID)"]?.stringValue != nil
        else { return false }
        if let fallback = object["fallback"], fallback.boolValue == nil { return false }
        return true
    }
}
