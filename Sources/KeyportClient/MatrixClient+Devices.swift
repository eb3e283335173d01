import MatrixModel

/// Our own device list: listing, and deleting a device (user-interactive auth with the password).
/// A deleted device is marked at once, so the next room message rotates the Megolm session away
/// from it.
extension MatrixClient {
    /// Our devices as the server lists them, with their keys and whether this device verified them.
    public func devices() async throws -> [JSONObject] {
        let listed: JSONObject
        do {
            listed = try await api.call(.get, "/devices")
        } catch let error as HomeserverError {
            throw error.clientError
        }
        try await store.write { [userID] tx in try tx.markOutdated(userID) }
        try await updateOutdatedDevices()
        let userID = userID
        let current = deviceID
        return try await store.read { tx in
            var lines: [JSONObject] = []
            for entry in listed["devices"]?.arrayValue ?? [] {
                guard let id = entry["device_id"]?.stringValue else { continue }
                var line: JSONObject = [
                    "device_id": .string(id), "current": .bool(id == current),
                    "display_name": entry["display_name"] ?? .null,
                ]
                if let device = try tx.device(userID: userID, deviceID: id) {
                    line["ed25519"] = .string(device.ed25519)
                    line["curve25519"] = .string(device.curve25519)
                    let verified = try tx.isVerified(device)
                    line["verified"] = .bool(id == current || verified)
                    line["cross_signed"] = .bool(device.crossSigned)
                } else {
                    line["verified"] = .bool(id == current)
                    line["cross_signed"] = false
                }
                lines.append(line)
            }
            return lines
        }
    }

    /// Deletes one of our devices; the password answers the server's user-interactive auth.
    public func deleteDevice(_ target: String, password: String) async throws {
        let api = api
        let path = "/devices/\(HomeserverAPI.segment(target))"
        try await withPassword(password) { auth in
            try await api.call(.delete, path, body: .object(auth.map { ["auth": .object($0)] } ?? [:]))
        }
        try await store.write { [userID] tx in
            if var device = try tx.device(userID: userID, deviceID: target) {
                device.deleted = true
                try tx.saveDevice(device)
            }
            try tx.markOutdated(userID)
        }
    }
}
