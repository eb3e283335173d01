public import KeyportStore
public import MatrixModel
import PostgresNIO

extension PostgresStore: DehydratedDeviceStore {
    public func dehydratedDevice(userID: String) async throws -> DehydratedDeviceRecord? {
        try await read { db in
            try await db.rows("SELECT device_id, device_data_json FROM dehydrated_devices WHERE user_id = \(userID)")
                .first.map { row in
                    let (deviceID, data) = try row.decode((String, String).self)
                    return DehydratedDeviceRecord(
                        userID: userID, deviceID: deviceID, deviceData: try Self.decodeObject(data))
                }
        }
    }

    public func putDehydratedDevice(keys: KeyUpload, deviceData: JSONObject, displayName: String?, now: Int64)
        async throws -> String?
    {
        let (userID, deviceID) = (keys.userID, keys.deviceID)
        return try await write { db in
            // The account row's lock puts a user's replacements one after the other, so the second
            // sees the first's device as the one to replace, not as a device that is in the way.
            guard try await db.exists("SELECT 1 FROM accounts WHERE user_id = \(userID) FOR UPDATE") else {
                throw StoreError.notFound
            }
            let replaced = try await Self.deleteDehydratedDevice(db, userID: userID)
            guard
                try await db.exists(
                    """
                    INSERT INTO devices (user_id, device_id, display_name, created_at)
                    VALUES (\(userID), \(deviceID), \(displayName), \(now))
                    ON CONFLICT (user_id, device_id) DO NOTHING RETURNING 1
                    """)
            else { throw StoreError.conflict("Device \(deviceID) already exists") }
            db.appendChange(userID: userID, kind: .device, deviceID: deviceID)
            _ = try await Self.applyKeyUpload(db, keys)
            try await db.execute(
                """
                INSERT INTO dehydrated_devices (user_id, device_id, device_data_json, created_at)
                VALUES (\(userID), \(deviceID), \(Self.encode(deviceData)), \(now))
                """)
            return replaced
        }
    }

    public func deleteDehydratedDevice(userID: String) async throws -> String? {
        try await write { db in
            _ = try await db.exists("SELECT 1 FROM accounts WHERE user_id = \(userID) FOR UPDATE")
            return try await Self.deleteDehydratedDevice(db, userID: userID)
        }
    }

    /// Deletes the user's dehydrated device and its record; its ID, or nil.
    static func deleteDehydratedDevice(_ db: PostgresTransaction, userID: String) async throws -> String? {
        guard
            let deviceID = try await db.value(
                String.self, "DELETE FROM dehydrated_devices WHERE user_id = \(userID) RETURNING device_id")
        else { return nil }
        try await deleteDevice(db, userID: userID, deviceID: deviceID)
        return deviceID
    }
}
