import KeyportClientCrypto
import MatrixModel

/// Device tracking: users we share a room with are tracked, `device_lists.changed` marks them
/// outdated, and `/keys/query` brings their devices up to date. A device whose keys are not
/// self-signed is ignored, a known device whose Ed25519 key changes keeps its old key (the spec
/// forbids the change), and a device missing from the answer is marked deleted.
extension MatrixClient {
    /// Queries the devices of every outdated tracked user.
    public func updateOutdatedDevices() async throws {
        let users = try await store.read { try $0.outdatedUsers() }
        guard !users.isEmpty else { return }
        var query = JSONObject()
        for user in users { query[user] = .array([]) }
        let answer: JSONObject
        do {
            answer = try await api.call(.post, "/keys/query", body: ["device_keys": .object(query), "timeout": 10000])
        } catch let error as HomeserverError {
            throw error.clientError
        }
        try await store.write { tx in
            for user in users {
                guard let devices = answer["device_keys"]?[user]?.objectValue else { continue }
                let selfSigning = Self.validSelfSigningKey(answer, userID: user)
                var live: Set<String> = []
                for (deviceID, keys) in devices {
                    guard let keys = keys.objectValue,
                        var device = Self.validDevice(keys, userID: user, deviceID: deviceID)
                    else { continue }
                    if let selfSigning {
                        device.crossSigned = SignatureCheckHelper.verify(
                            keys, userID: user, crossSigningKey: selfSigning)
                    }
                    if let known = try tx.device(userID: user, deviceID: deviceID), known.ed25519 != device.ed25519 {
                        continue
                    }
                    live.insert(deviceID)
                    try tx.saveDevice(device)
                }
                try tx.markDevicesDeleted(userID: user, except: live)
                try tx.setUpToDate(user)
            }
        }
    }

    /// A device from its `/keys/query` entry if the entry names it and is signed by its own key.
    static func validDevice(_ keys: JSONObject, userID: String, deviceID: String) -> DeviceInfo? {
        guard keys["user_id"]?.stringValue == userID, keys["device_id"]?.stringValue == deviceID,
            let curve = keys["keys"]?["curve25519:\(deviceID)"]?.stringValue,
            let ed = keys["keys"]?["ed25519:\(deviceID)"]?.stringValue,
            SignatureCheckHelper.verify(keys, userID: userID, deviceID: deviceID, ed25519: ed)
        else { return nil }
        return DeviceInfo(
            userID: userID, deviceID: deviceID, curve25519: curve, ed25519: ed,
            displayName: keys["unsigned"]?["device_display_name"]?.stringValue)
    }

    /// The user's self-signing public key if the master key signed it.
    static func validSelfSigningKey(_ answer: JSONObject, userID: String) -> String? {
        guard let master = answer["master_keys"]?[userID]?.objectValue,
            let masterKey = master["keys"]?.objectValue?.values.first?.stringValue,
            let selfSigning = answer["self_signing_keys"]?[userID]?.objectValue,
            let selfSigningKey = selfSigning["keys"]?.objectValue?.values.first?.stringValue,
            SignatureCheckHelper.verify(selfSigning, userID: userID, crossSigningKey: masterKey)
        else { return nil }
        return selfSigningKey
    }

    /// Starts Olm sessions with those of `devices` we have none with, from claimed one-time keys.
    /// Devices without a key to claim are left out; the caller skips them.
    public func ensureOlmSessions(with devices: [DeviceInfo]) async throws {
        let olm = olm
        let missing = try await store.read { tx in try devices.filter { try !olm.hasSession(with: $0, in: tx) } }
        guard !missing.isEmpty else { return }
        var claim = JSONObject()
        for device in missing {
            var forUser = claim[device.userID]?.objectValue ?? [:]
            forUser[device.deviceID] = "signed_curve25519"
            claim[device.userID] = .object(forUser)
        }
        let answer: JSONObject
        do {
            answer = try await api.call(
                .post, "/keys/claim", body: ["one_time_keys": .object(claim), "timeout": 10000])
        } catch let error as HomeserverError {
            throw error.clientError
        }
        try await store.write { tx in
            for device in missing {
                guard let keys = answer["one_time_keys"]?[device.userID]?[device.deviceID]?.objectValue,
                    let signed = keys.first(where: { $0.key.hasPrefix("signed_curve25519:") })?.value.objectValue
                else { continue }
                // A key with a bad signature leaves the device without a session, not the batch.
                try? olm.createSession(with: device, signedOneTimeKey: signed, in: tx)
            }
        }
    }
}
