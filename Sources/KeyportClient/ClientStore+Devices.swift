import KeyportSQLite

/// A device as `/keys/query` last described it, with its self-signature checked.
public struct DeviceInfo: Sendable, Equatable {
    public var userID: String
    public var deviceID: String
    public var curve25519: String
    public var ed25519: String
    public var displayName: String?
    /// Signed by its user's self-signing key, itself signed by the user's master key.
    public var crossSigned: Bool
    /// Gone from the user's device list: no room key goes to it any more.
    public var deleted: Bool

    public init(
        userID: String, deviceID: String, curve25519: String, ed25519: String, displayName: String? = nil,
        crossSigned: Bool = false, deleted: Bool = false
    ) {
        self.userID = userID
        self.deviceID = deviceID
        self.curve25519 = curve25519
        self.ed25519 = ed25519
        self.displayName = displayName
        self.crossSigned = crossSigned
        self.deleted = deleted
    }

    public var ref: DeviceRef { DeviceRef(userID: userID, deviceID: deviceID) }

    init(row: Row) {
        self.init(
            userID: row["user_id"], deviceID: row["device_id"], curve25519: row["curve25519"], ed25519: row["ed25519"],
            displayName: row["display_name"], crossSigned: row["cross_signed"], deleted: row["deleted"])
    }
}

extension StoreTransaction {
    public func device(userID: String, deviceID: String) throws -> DeviceInfo? {
        try Row.fetchOne(
            db, sql: "SELECT * FROM devices WHERE user_id = ? AND device_id = ?", arguments: [userID, deviceID]
        ).map(DeviceInfo.init(row:))
    }

    /// The live device with this identity key, if any.
    public func device(curve25519: String) throws -> DeviceInfo? {
        try Row.fetchOne(
            db, sql: "SELECT * FROM devices WHERE curve25519 = ? AND deleted = 0", arguments: [curve25519]
        ).map(DeviceInfo.init(row:))
    }

    public func devices(userID: String, includeDeleted: Bool = false) throws -> [DeviceInfo] {
        try Row.fetchAll(
            db, sql: "SELECT * FROM devices WHERE user_id = ? AND (deleted = 0 OR ?) ORDER BY device_id",
            arguments: [userID, includeDeleted]
        ).map(DeviceInfo.init(row:))
    }

    public func saveDevice(_ device: DeviceInfo) throws {
        try db.execute(
            sql: """
                INSERT INTO devices (user_id, device_id, curve25519, ed25519, display_name, cross_signed, deleted)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (user_id, device_id) DO UPDATE SET curve25519 = excluded.curve25519,
                    ed25519 = excluded.ed25519, display_name = excluded.display_name,
                    cross_signed = excluded.cross_signed, deleted = excluded.deleted
                """,
            arguments: [
                device.userID, device.deviceID, device.curve25519, device.ed25519, device.displayName,
                device.crossSigned, device.deleted,
            ])
    }

    /// Marks every device of `userID` not in `live` as deleted.
    public func markDevicesDeleted(userID: String, except live: Set<String>) throws {
        for device in try devices(userID: userID) where !live.contains(device.deviceID) {
            try db.execute(
                sql: "UPDATE devices SET deleted = 1 WHERE user_id = ? AND device_id = ?",
                arguments: [userID, device.deviceID])
        }
    }

    // MARK: Tracked users

    /// Starts tracking `userID`'s devices (outdated until queried); no change if tracked already.
    public func trackUser(_ userID: String) throws {
        try db.execute(
            sql: "INSERT OR IGNORE INTO tracked_users (user_id, outdated) VALUES (?, 1)", arguments: [userID])
    }

    /// `device_lists.changed`: a tracked user's devices must be queried again.
    public func markOutdated(_ userID: String) throws {
        try db.execute(sql: "UPDATE tracked_users SET outdated = 1 WHERE user_id = ?", arguments: [userID])
    }

    public func untrackUser(_ userID: String) throws {
        try db.execute(sql: "DELETE FROM tracked_users WHERE user_id = ?", arguments: [userID])
    }

    public func outdatedUsers() throws -> [String] {
        try String.fetchAll(db, sql: "SELECT user_id FROM tracked_users WHERE outdated = 1 ORDER BY user_id")
    }

    public func setUpToDate(_ userID: String) throws {
        try db.execute(sql: "UPDATE tracked_users SET outdated = 0 WHERE user_id = ?", arguments: [userID])
    }

    // MARK: Local verification

    /// The Ed25519 key this device verified for `deviceID` (the fingerprint the user compared).
    public func verifiedFingerprint(userID: String, deviceID: String) throws -> String? {
        try String.fetchOne(
            db, sql: "SELECT ed25519 FROM verified_devices WHERE user_id = ? AND device_id = ?",
            arguments: [userID, deviceID])
    }

    public func setVerified(userID: String, deviceID: String, ed25519: String) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO verified_devices (user_id, device_id, ed25519) VALUES (?, ?, ?)",
            arguments: [userID, deviceID, ed25519])
    }

    /// Whether this device verified `device` and its key is still the one verified.
    public func isVerified(_ device: DeviceInfo) throws -> Bool {
        guard let fingerprint = try verifiedFingerprint(userID: device.userID, deviceID: device.deviceID) else {
            return false
        }
        return fingerprint == device.ed25519 && !device.deleted
    }
}
