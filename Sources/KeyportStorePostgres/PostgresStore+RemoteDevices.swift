public import KeyportStore
public import MatrixModel
import PostgresNIO

extension PostgresStore: RemoteDeviceStore {
    public func remoteDeviceList(userID: String) async throws -> RemoteDeviceList? {
        try await read { db in
            guard
                let row = try await db.rows(
                    """
                    SELECT stream_id, stale, master_key_json, self_signing_key_json FROM remote_device_lists
                    WHERE user_id = \(userID)
                    """
                ).first
            else { return nil }
            let (streamID, stale, master, selfSigning) = try row.decode((Int64, Bool, String?, String?).self)
            let devices = try await db.rows(
                """
                SELECT device_id, display_name, keys_json FROM remote_devices WHERE user_id = \(userID) ORDER BY device_id
                """
            ).map { device in
                let (deviceID, displayName, keys) = try device.decode((String, String?, String?).self)
                return RemoteDevice(deviceID: deviceID, displayName: displayName, keys: try keys.map(Self.decodeObject))
            }
            return RemoteDeviceList(
                userID: userID, streamID: streamID, stale: stale, devices: devices,
                masterKey: try master.map(Self.decodeObject), selfSigningKey: try selfSigning.map(Self.decodeObject))
        }
    }

    public func replaceRemoteDeviceList(_ list: RemoteDeviceList) async throws {
        try await write { db in
            try await db.execute("DELETE FROM remote_devices WHERE user_id = \(list.userID)")
            for device in list.devices {
                try await Self.storeRemoteDevice(db, userID: list.userID, device: device)
            }
            try await db.execute(
                """
                INSERT INTO remote_device_lists (user_id, stream_id, stale, master_key_json, self_signing_key_json)
                VALUES (\(list.userID), \(list.streamID), FALSE, \(list.masterKey.map(Self.encode)),
                    \(list.selfSigningKey.map(Self.encode)))
                ON CONFLICT (user_id) DO UPDATE SET stream_id = excluded.stream_id, stale = FALSE,
                    master_key_json = excluded.master_key_json, self_signing_key_json = excluded.self_signing_key_json
                """)
            try await Self.rememberStreamID(db, userID: list.userID, streamID: list.streamID)
            db.appendChange(userID: list.userID, kind: .device)
        }
    }

    public func applyRemoteDeviceUpdate(_ update: RemoteDeviceUpdate) async throws -> Bool {
        try await write { db in
            let userID = update.userID
            // Locks the cached list, so updates for one user are decided one at a time.
            let stale = try await db.value(
                Bool.self, "SELECT stale FROM remote_device_lists WHERE user_id = \(userID) FOR UPDATE")
            let seen = Set(
                try await db.values(
                    Int64.self,
                    """
                    SELECT stream_id FROM remote_device_list_seen
                    WHERE user_id = \(userID) AND stream_id = ANY(\(update.prevIDs + [update.streamID]))
                    """))
            let outcome = RemoteDeviceUpdateRule.decide(
                listIsStale: stale, hasPrevIDs: !update.prevIDs.isEmpty,
                prevIDsAllSeen: update.prevIDs.allSatisfy(seen.contains), streamIDSeen: seen.contains(update.streamID))
            try await Self.rememberStreamID(db, userID: userID, streamID: update.streamID)
            switch outcome {
            case .alreadyApplied: return true
            case .markStale:
                try await Self.markStale(db, userID: userID)
                return false
            case .apply: break
            }
            if update.deleted {
                try await db.execute(
                    "DELETE FROM remote_devices WHERE user_id = \(userID) AND device_id = \(update.deviceID)")
            } else {
                try await Self.storeRemoteDevice(
                    db, userID: userID,
                    device: RemoteDevice(deviceID: update.deviceID, displayName: update.displayName, keys: update.keys))
            }
            try await db.execute(
                """
                UPDATE remote_device_lists SET stream_id = GREATEST(stream_id, \(update.streamID)) WHERE user_id = \(userID)
                """)
            db.appendChange(userID: userID, kind: .device, deviceID: update.deviceID)
            return true
        }
    }

    public func markRemoteDeviceListStale(userID: String) async throws {
        try await write { db in try await Self.markStale(db, userID: userID) }
    }

    public func staleRemoteDeviceLists() async throws -> [String] {
        try await read { db in
            try await db.values(String.self, "SELECT user_id FROM remote_device_lists WHERE stale ORDER BY user_id")
        }
    }

    public func updateRemoteCrossSigningKeys(userID: String, master: JSONObject?, selfSigning: JSONObject?) async throws
    {
        try await write { db in
            try await db.execute(
                """
                INSERT INTO remote_device_lists (user_id, stream_id, stale) VALUES (\(userID), 0, TRUE)
                ON CONFLICT DO NOTHING
                """)
            if let master {
                try await db.execute(
                    "UPDATE remote_device_lists SET master_key_json = \(Self.encode(master)) WHERE user_id = \(userID)")
            }
            if let selfSigning {
                try await db.execute(
                    """
                    UPDATE remote_device_lists SET self_signing_key_json = \(Self.encode(selfSigning))
                    WHERE user_id = \(userID)
                    """)
            }
            db.appendChange(userID: userID, kind: .crossSigning)
        }
    }

    public func forgetRemoteDeviceList(userID: String) async throws {
        try await write { db in
            for table in ["remote_device_lists", "remote_devices", "remote_device_list_seen"] {
                try await db.execute("DELETE FROM \(unescaped: table) WHERE user_id = \(userID)")
            }
        }
    }

    static func markStale(_ db: PostgresTransaction, userID: String) async throws {
        try await db.execute(
            """
            INSERT INTO remote_device_lists (user_id, stream_id, stale) VALUES (\(userID), 0, TRUE)
            ON CONFLICT (user_id) DO UPDATE SET stale = TRUE
            """)
    }

    static func storeRemoteDevice(_ db: PostgresTransaction, userID: String, device: RemoteDevice) async throws {
        try await db.execute(
            """
            INSERT INTO remote_devices (user_id, device_id, display_name, keys_json)
            VALUES (\(userID), \(device.deviceID), \(device.displayName), \(device.keys.map(encode)))
            ON CONFLICT (user_id, device_id)
            DO UPDATE SET display_name = excluded.display_name, keys_json = excluded.keys_json
            """)
    }

    /// Remembers a stream ID of a remote user's list, so a later `prev_id` naming it is recognised.
    static func rememberStreamID(_ db: PostgresTransaction, userID: String, streamID: Int64) async throws {
        try await db.execute(
            """
            INSERT INTO remote_device_list_seen (user_id, stream_id) VALUES (\(userID), \(streamID))
            ON CONFLICT DO NOTHING
            """)
    }
}
