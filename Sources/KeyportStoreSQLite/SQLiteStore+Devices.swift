import KeyportSQLite
public import KeyportStore

extension SQLiteStore: DeviceStore {
    public func createSession(
        userID: String, deviceID: String, initialDisplayName: String?, tokenHash: String, now: Int64
    ) async throws {
        try await pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM accounts WHERE user_id = ?", arguments: [userID]) ?? false
            else { throw StoreError.notFound }
            let exists =
                try Bool.fetchOne(
                    db, sql: "SELECT 1 FROM devices WHERE user_id = ? AND device_id = ?", arguments: [userID, deviceID])
                ?? false
            if !exists {
                try db.execute(
                    sql: "INSERT INTO devices (user_id, device_id, display_name, created_at) VALUES (?, ?, ?, ?)",
                    arguments: [userID, deviceID, initialDisplayName, now])
                try Self.appendChange(db, userID: userID, kind: .device, deviceID: deviceID)
            }
            try db.execute(
                sql: "INSERT INTO access_tokens (token_hash, user_id, device_id, created_at) VALUES (?, ?, ?, ?)",
                arguments: [tokenHash, userID, deviceID, now])
        }
    }

    public func devices(userID: String) async throws -> [DeviceRecord] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "\(Self.deviceColumns) WHERE d.user_id = ? ORDER BY d.device_id", arguments: [userID]
            ).map(Self.deviceRecord)
        }
    }

    public func device(userID: String, deviceID: String) async throws -> DeviceRecord? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "\(Self.deviceColumns) WHERE d.user_id = ? AND d.device_id = ?", arguments: [userID, deviceID]
            ).map(Self.deviceRecord)
        }
    }

    /// A device's columns, and whether it is the user's dehydrated device.
    static let deviceColumns = """
        SELECT d.user_id AS user_id, d.device_id AS device_id, d.display_name AS display_name,
            d.last_seen_ip AS last_seen_ip, d.last_seen_ts AS last_seen_ts, x.device_id IS NOT NULL AS dehydrated
        FROM devices d LEFT JOIN dehydrated_devices x ON x.user_id = d.user_id AND x.device_id = d.device_id
        """

    static func deviceRecord(_ row: Row) -> DeviceRecord {
        DeviceRecord(
            userID: row["user_id"], deviceID: row["device_id"], displayName: row["display_name"],
            lastSeenIP: row["last_seen_ip"], lastSeenTS: row["last_seen_ts"], isDehydrated: row["dehydrated"])
    }

    public func setDisplayName(userID: String, deviceID: String, displayName: String?) async throws -> Bool {
        try await pool.write { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT display_name FROM devices WHERE user_id = ? AND device_id = ?",
                    arguments: [userID, deviceID])
            else { return false }
            let current: String? = row["display_name"]
            if current != displayName {
                try db.execute(
                    sql: "UPDATE devices SET display_name = ? WHERE user_id = ? AND device_id = ?",
                    arguments: [displayName, userID, deviceID])
                try Self.appendChange(db, userID: userID, kind: .device, deviceID: deviceID)
            }
            return true
        }
    }

    public func deleteDevices(userID: String, deviceIDs: [String]) async throws -> [String] {
        try await pool.write { db in
            var deleted: [String] = []
            for deviceID in Set(deviceIDs).sorted() where try Self.deleteDevice(db, userID: userID, deviceID: deviceID)
            {
                deleted.append(deviceID)
            }
            return deleted
        }
    }

    /// Deletes one device and everything that hangs off it, recording a `device` change; false if
    /// the device did not exist.
    @discardableResult
    static func deleteDevice(_ db: Database, userID: String, deviceID: String) throws -> Bool {
        let arguments: StatementArguments = [userID, deviceID]
        try db.execute(sql: "DELETE FROM devices WHERE user_id = ? AND device_id = ?", arguments: arguments)
        guard db.changesCount > 0 else { return false }
        for table in [
            "access_tokens", "device_keys", "one_time_keys", "fallback_keys", "device_inbox", "to_device_txns",
            "dehydrated_devices",
        ] {
            try db.execute(sql: "DELETE FROM \(table) WHERE user_id = ? AND device_id = ?", arguments: arguments)
        }
        try db.execute(
            sql: "DELETE FROM key_signatures WHERE target_user_id = ? AND target_key_id = ?", arguments: arguments)
        try appendChange(db, userID: userID, kind: .device, deviceID: deviceID)
        return true
    }

    public func touchDevice(userID: String, deviceID: String, ip: String?, now: Int64) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE devices SET last_seen_ip = ?, last_seen_ts = ? WHERE user_id = ? AND device_id = ?",
                arguments: [ip, now, userID, deviceID])
        }
    }
}
