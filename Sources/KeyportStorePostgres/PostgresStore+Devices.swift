public import KeyportStore
import PostgresNIO

extension PostgresStore: DeviceStore {
    public func createSession(
        userID: String, deviceID: String, initialDisplayName: String?, tokenHash: String, now: Int64
    ) async throws {
        try await write { db in
            guard try await db.exists("SELECT 1 FROM accounts WHERE user_id = \(userID)") else {
                throw StoreError.notFound
            }
            let created = try await db.exists(
                """
                INSERT INTO devices (user_id, device_id, display_name, created_at)
                VALUES (\(userID), \(deviceID), \(initialDisplayName), \(now))
                ON CONFLICT (user_id, device_id) DO NOTHING RETURNING 1
                """)
            if created { db.appendChange(userID: userID, kind: .device, deviceID: deviceID) }
            try await db.execute(
                """
                INSERT INTO access_tokens (token_hash, user_id, device_id, created_at)
                VALUES (\(tokenHash), \(userID), \(deviceID), \(now))
                """)
        }
    }

    /// A device's columns, and whether it is the user's dehydrated device.
    static let deviceColumns = """
        SELECT d.user_id, d.device_id, d.display_name, d.last_seen_ip, d.last_seen_ts, x.device_id IS NOT NULL
        FROM devices d LEFT JOIN dehydrated_devices x ON x.user_id = d.user_id AND x.device_id = d.device_id
        """

    public func devices(userID: String) async throws -> [DeviceRecord] {
        try await read { db in
            try await db.rows("\(unescaped: Self.deviceColumns) WHERE d.user_id = \(userID) ORDER BY d.device_id")
                .map(Self.deviceRecord)
        }
    }

    public func device(userID: String, deviceID: String) async throws -> DeviceRecord? {
        try await read { db in
            try await db.rows(
                "\(unescaped: Self.deviceColumns) WHERE d.user_id = \(userID) AND d.device_id = \(deviceID)"
            ).first.map(Self.deviceRecord)
        }
    }

    static func deviceRecord(_ row: PostgresRow) throws -> DeviceRecord {
        let (userID, deviceID, displayName, ip, ts, dehydrated) = try row.decode(
            (String, String, String?, String?, Int64?, Bool).self)
        return DeviceRecord(
            userID: userID, deviceID: deviceID, displayName: displayName, lastSeenIP: ip, lastSeenTS: ts,
            isDehydrated: dehydrated)
    }

    public func setDisplayName(userID: String, deviceID: String, displayName: String?) async throws -> Bool {
        try await write { db in
            let rows = try await db.rows(
                "SELECT display_name FROM devices WHERE user_id = \(userID) AND device_id = \(deviceID) FOR UPDATE")
            guard let row = rows.first else { return false }
            if try row.decode(String?.self) != displayName {
                try await db.execute(
                    """
                    UPDATE devices SET display_name = \(displayName) WHERE user_id = \(userID) AND device_id = \(deviceID)
                    """)
                db.appendChange(userID: userID, kind: .device, deviceID: deviceID)
            }
            return true
        }
    }

    /// The tables whose rows belong to one device and go with it.
    static let deviceOwnedTables = [
        "access_tokens", "device_keys", "one_time_keys", "fallback_keys", "device_inbox", "to_device_txns",
        "dehydrated_devices",
    ]

    public func deleteDevices(userID: String, deviceIDs: [String]) async throws -> [String] {
        try await write { db in
            var deleted: [String] = []
            for deviceID in Set(deviceIDs).sorted()
            where try await Self.deleteDevice(db, userID: userID, deviceID: deviceID) {
                deleted.append(deviceID)
            }
            return deleted
        }
    }

    /// Deletes one device and what hangs off it, recording a `device` change; false if it did not exist.
    @discardableResult
    static func deleteDevice(_ db: PostgresTransaction, userID: String, deviceID: String) async throws -> Bool {
        guard
            try await db.exists("DELETE FROM devices WHERE user_id = \(userID) AND device_id = \(deviceID) RETURNING 1")
        else { return false }
        for table in deviceOwnedTables {
            try await db.execute(
                "DELETE FROM \(unescaped: table) WHERE user_id = \(userID) AND device_id = \(deviceID)")
        }
        try await db.execute(
            "DELETE FROM key_signatures WHERE target_user_id = \(userID) AND target_key_id = \(deviceID)")
        db.appendChange(userID: userID, kind: .device, deviceID: deviceID)
        return true
    }

    public func touchDevice(userID: String, deviceID: String, ip: String?, now: Int64) async throws {
        try await write { db in
            try await db.execute(
                """
                UPDATE devices SET last_seen_ip = \(ip), last_seen_ts = \(now)
                WHERE user_id = \(userID) AND device_id = \(deviceID)
                """)
        }
    }
}
