import KeyportSQLite
public import KeyportStore
public import MatrixModel

extension SQLiteStore: DehydratedDeviceStore {
    public func dehydratedDevice(userID: String) async throws -> DehydratedDeviceRecord? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT device_id, device_data_json FROM dehydrated_devices WHERE user_id = ?",
                arguments: [userID]
            ).map { row in
                DehydratedDeviceRecord(
                    userID: userID, deviceID: row["device_id"],
                    deviceData: try Self.decodeObject(row["device_data_json"]))
            }
        }
    }

    public func putDehydratedDevice(keys: KeyUpload, deviceData: JSONObject, displayName: String?, now: Int64)
        async throws -> String?
    {
        let (userID, deviceID) = (keys.userID, keys.deviceID)
        return try await pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM accounts WHERE user_id = ?", arguments: [userID]) ?? false
            else { throw StoreError.notFound }
            let replaced = try Self.deleteDehydratedDevice(db, userID: userID)
            try db.execute(
                sql: """
                    INSERT INTO devices (user_id, device_id, display_name, created_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (user_id, device_id) DO NOTHING
                    """,
                arguments: [userID, deviceID, displayName, now])
            guard db.changesCount > 0 else { throw StoreError.conflict("Device \(deviceID) already exists") }
            try Self.appendChange(db, userID: userID, kind: .device, deviceID: deviceID)
            _ = try Self.applyKeyUpload(db, keys)
            try db.execute(
                sql: """
                    INSERT INTO dehydrated_devices (user_id, device_id, device_data_json, created_at)
                    VALUES (?, ?, ?, ?)
                    """,
                arguments: [userID, deviceID, Self.encode(deviceData), now])
            return replaced
        }
    }

    public func deleteDehydratedDevice(userID: String) async throws -> String? {
        try await pool.write { db in try Self.deleteDehydratedDevice(db, userID: userID) }
    }

    /// Deletes the user's dehydrated device and its record; its ID, or nil.
    static func deleteDehydratedDevice(_ db: Database, userID: String) throws -> String? {
        guard
            let deviceID = try String.fetchOne(
                db, sql: "SELECT device_id FROM dehydrated_devices WHERE user_id = ?", arguments: [userID])
        else { return nil }
        try deleteDevice(db, userID: userID, deviceID: deviceID)
        try db.execute(sql: "DELETE FROM dehydrated_devices WHERE user_id = ?", arguments: [userID])
        return deviceID
    }
}
