import KeyportSQLite
public import KeyportStore
import MatrixModel

extension SQLiteStore: RemoteDeviceStore {
    public func remoteDeviceList(userID: String) async throws -> RemoteDeviceList? {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT * FROM remote_device_lists WHERE user_id = ?", arguments: [userID])
            else { return nil }
            let devices = try Row.fetchAll(
                db, sql: "SELECT * FROM remote_devices WHERE user_id = ? ORDER BY device_id", arguments: [userID]
            ).map { device in
                RemoteDevice(
                    deviceID: device["device_id"], displayName: device["display_name"],
                    keys: try (device["keys_json"] as String?).map(Self.decodeObject))
            }
            return RemoteDeviceList(
                userID: userID, streamID: row["stream_id"], stale: row["stale"], devices: devices,
                masterKey: try (row["master_key_json"] as String?).map(Self.decodeObject),
                selfSigningKey: try (row["self_signing_key_json"] as String?).map(Self.decodeObject))
        }
    }

    public func replaceRemoteDeviceList(_ list: RemoteDeviceList) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM remote_devices WHERE user_id = ?", arguments: [list.userID])
            for device in list.devices {
                try Self.storeRemoteDevice(db, userID: list.userID, device: device)
            }
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO remote_device_lists
                        (user_id, stream_id, stale, master_key_json, self_signing_key_json) VALUES (?, ?, 0, ?, ?)
                    """,
                arguments: [
                    list.userID, list.streamID, list.masterKey.map(Self.encode), list.selfSigningKey.map(Self.encode),
                ])
            try Self.rememberStreamID(db, userID: list.userID, streamID: list.streamID)
            try Self.appendChange(db, userID: list.userID, kind: .device)
        }
    }

    public func applyRemoteDeviceUpdate(_ update: RemoteDeviceUpdate) async throws -> Bool {
        try await pool.write { db in
            let stale = try Bool.fetchOne(
                db, sql: "SELECT stale FROM remote_device_lists WHERE user_id = ?", arguments: [update.userID])
            let seen = try db.cachedStatement(
                sql: "SELECT 1 FROM remote_device_list_seen WHERE user_id = ? AND stream_id = ?")
            var prevIDsAllSeen = true
            for prevID in update.prevIDs where prevIDsAllSeen {
                prevIDsAllSeen = try Bool.fetchOne(seen, arguments: [update.userID, prevID]) ?? false
            }
            let outcome = RemoteDeviceUpdateRule.decide(
                listIsStale: stale, hasPrevIDs: !update.prevIDs.isEmpty, prevIDsAllSeen: prevIDsAllSeen,
                streamIDSeen: try Bool.fetchOne(seen, arguments: [update.userID, update.streamID]) ?? false)
            try Self.rememberStreamID(db, userID: update.userID, streamID: update.streamID)
            switch outcome {
            case .alreadyApplied: return true
            case .markStale:
                try Self.markStale(db, userID: update.userID)
                return false
            case .apply: break
            }
            if update.deleted {
                try db.execute(
                    sql: "DELETE FROM remote_devices WHERE user_id = ? AND device_id = ?",
                    arguments: [update.userID, update.deviceID])
            } else {
                try Self.storeRemoteDevice(
                    db, userID: update.userID,
                    device: RemoteDevice(deviceID: update.deviceID, displayName: update.displayName, keys: update.keys))
            }
            try db.execute(
                sql: "UPDATE remote_device_lists SET stream_id = max(stream_id, ?) WHERE user_id = ?",
                arguments: [update.streamID, update.userID])
            try Self.appendChange(db, userID: update.userID, kind: .device, deviceID: update.deviceID)
            return true
        }
    }

    public func markRemoteDeviceListStale(userID: String) async throws {
        try await pool.write { db in try Self.markStale(db, userID: userID) }
    }

    public func staleRemoteDeviceLists() async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT user_id FROM remote_device_lists WHERE stale = 1 ORDER BY user_id")
        }
    }

    public func updateRemoteCrossSigningKeys(userID: String, master: JSONObject?, selfSigning: JSONObject?) async throws
    {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO remote_device_lists (user_id, stream_id, stale) VALUES (?, 0, 1)",
                arguments: [userID])
            if let master {
                try db.execute(
                    sql: "UPDATE remote_device_lists SET master_key_json = ? WHERE user_id = ?",
                    arguments: [Self.encode(master), userID])
            }
            if let selfSigning {
                try db.execute(
                    sql: "UPDATE remote_device_lists SET self_signing_key_json = ? WHERE user_id = ?",
                    arguments: [Self.encode(selfSigning), userID])
            }
            try Self.appendChange(db, userID: userID, kind: .crossSigning)
        }
    }

    public func forgetRemoteDeviceList(userID: String) async throws {
        try await pool.write { db in
            for table in ["remote_device_lists", "remote_devices", "remote_device_list_seen"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE user_id = ?", arguments: [userID])
            }
        }
    }

    static func markStale(_ db: Database, userID: String) throws {
        try db.execute(
            sql: """
                INSERT INTO remote_device_lists (user_id, stream_id, stale) VALUES (?, 0, 1)
                ON CONFLICT (user_id) DO UPDATE SET stale = 1
                """,
            arguments: [userID])
    }

    static func storeRemoteDevice(_ db: Database, userID: String, device: RemoteDevice) throws {
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO remote_devices (user_id, device_id, display_name, keys_json) VALUES (?, ?, ?, ?)
                """,
            arguments: [userID, device.deviceID, device.displayName, device.keys.map(encode)])
    }

    /// Remembers a stream ID of a remote user's list, so a later `prev_id` naming it is recognised.
    static func rememberStreamID(_ db: Database, userID: String, streamID: Int64) throws {
        try db.execute(
            sql: "INSERT OR IGNORE INTO remote_device_list_seen (user_id, stream_id) VALUES (?, ?)",
            arguments: [userID, streamID])
    }
}
