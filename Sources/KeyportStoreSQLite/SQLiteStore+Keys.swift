import KeyportSQLite
public import KeyportStore
public import MatrixModel

extension SQLiteStore: KeyStore {
    public func uploadKeys(_ upload: KeyUpload) async throws -> [String: Int] {
        try await pool.write { db in try Self.applyKeyUpload(db, upload) }
    }

    /// The whole of `uploadKeys` inside a transaction the caller holds.
    static func applyKeyUpload(_ db: Database, _ upload: KeyUpload) throws -> [String: Int] {
        let owner: StatementArguments = [upload.userID, upload.deviceID]
        if let (object, ed25519) = upload.deviceKeys {
            let encoded = Self.encode(object)
            let stored = try Row.fetchOne(
                db, sql: "SELECT ed25519, key_json FROM device_keys WHERE user_id = ? AND device_id = ?",
                arguments: owner)
            if let stored {
                let storedKey: String = stored["ed25519"]
                guard storedKey == ed25519 else { throw StoreError.identityKeyChanged }
            }
            let storedJSON: String? = stored?["key_json"]
            if storedJSON != encoded {
                try db.execute(
                    sql: """
                        INSERT INTO device_keys (user_id, device_id, ed25519, key_json) VALUES (?, ?, ?, ?)
                        ON CONFLICT (user_id, device_id) DO UPDATE SET key_json = excluded.key_json
                        """,
                    arguments: [upload.userID, upload.deviceID, ed25519, encoded])
                try Self.appendChange(db, userID: upload.userID, kind: .device, deviceID: upload.deviceID)
            }
        }
        let existing = try db.cachedStatement(
            sql: "SELECT key_json FROM one_time_keys WHERE user_id = ? AND device_id = ? AND key_id = ?")
        let insert = try db.cachedStatement(
            sql:
                "INSERT INTO one_time_keys (user_id, device_id, algorithm, key_id, key_json) VALUES (?, ?, ?, ?, ?)"
        )
        for key in upload.oneTimeKeys {
            let encoded = Self.encode(key.value)
            if let stored = try String.fetchOne(existing, arguments: [upload.userID, upload.deviceID, key.keyID]) {
                guard try Self.decode(stored) == key.value else { throw StoreError.keyConflict(keyID: key.keyID) }
                continue
            }
            try insert.execute(arguments: [upload.userID, upload.deviceID, key.algorithm, key.keyID, encoded])
        }
        for key in upload.fallbackKeys {
            let encoded = Self.encode(key.value)
            let stored = try Row.fetchOne(
                db,
                sql:
                    "SELECT key_id, key_json FROM fallback_keys WHERE user_id = ? AND device_id = ? AND algorithm = ?",
                arguments: [upload.userID, upload.deviceID, key.algorithm])
            if let stored, stored["key_id"] == key.keyID, try Self.decode(stored["key_json"]) == key.value {
                continue  // identical re-upload keeps its used flag, as Synapse does
            }
            try db.execute(
                sql: """
                    INSERT INTO fallback_keys (user_id, device_id, algorithm, key_id, key_json, used)
                    VALUES (?, ?, ?, ?, ?, 0)
                    ON CONFLICT (user_id, device_id, algorithm)
                    DO UPDATE SET key_id = excluded.key_id, key_json = excluded.key_json, used = 0
                    """,
                arguments: [upload.userID, upload.deviceID, key.algorithm, key.keyID, encoded])
        }
        return try Self.counts(db, userID: upload.userID, deviceID: upload.deviceID)
    }

    static func counts(_ db: Database, userID: String, deviceID: String) throws -> [String: Int] {
        let statement = try db.cachedStatement(
            sql: """
                SELECT algorithm, COUNT(*) AS n FROM one_time_keys
                WHERE user_id = ? AND device_id = ? AND claimed_at IS NULL GROUP BY algorithm
                """)
        var counts: [String: Int] = [:]
        for row in try Row.fetchAll(statement, arguments: [userID, deviceID]) {
            counts[row["algorithm"]] = row["n"]
        }
        return counts
    }

    public func oneTimeKeyCounts(userID: String, deviceID: String) async throws -> [String: Int] {
        try await pool.read { db in try Self.counts(db, userID: userID, deviceID: deviceID) }
    }

    public func unusedFallbackKeyTypes(userID: String, deviceID: String) async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(
                db,
                sql:
                    "SELECT algorithm FROM fallback_keys WHERE user_id = ? AND device_id = ? AND used = 0 ORDER BY algorithm",
                arguments: [userID, deviceID])
        }
    }

    public func deviceKeys(userID: String, deviceID: String) async throws -> JSONObject? {
        try await pool.read { db in
            try String.fetchOne(
                db, sql: "SELECT key_json FROM device_keys WHERE user_id = ? AND device_id = ?",
                arguments: [userID, deviceID]
            ).map(Self.decodeObject)
        }
    }

    public func queryDevices(_ request: [String: [String]]) async throws -> [String: [StoredDeviceKeys]] {
        try await pool.read { db in
            let all = try db.cachedStatement(
                sql: """
                    SELECT d.device_id, d.display_name, k.key_json FROM devices d
                    LEFT JOIN device_keys k ON k.user_id = d.user_id AND k.device_id = d.device_id
                    WHERE d.user_id = ?
                    """)
            let one = try db.cachedStatement(
                sql: """
                    SELECT d.device_id, d.display_name, k.key_json FROM devices d
                    LEFT JOIN device_keys k ON k.user_id = d.user_id AND k.device_id = d.device_id
                    WHERE d.user_id = ? AND d.device_id = ?
                    """)
            var result: [String: [StoredDeviceKeys]] = [:]
            for (userID, deviceIDs) in request {
                let rows: [Row]
                if deviceIDs.isEmpty {
                    rows = try Row.fetchAll(all, arguments: [userID])
                } else {
                    rows = try Set(deviceIDs).flatMap { deviceID in
                        try Row.fetchAll(one, arguments: [userID, deviceID])
                    }
                }
                result[userID] = rows.map { row in
                    StoredDeviceKeys(
                        deviceID: row["device_id"], keysJSON: row["key_json"], displayName: row["display_name"])
                }
            }
            return result
        }
    }

    public func claimKeys(_ targets: [ClaimTarget], now: Int64, from source: ClaimSource) async throws
        -> [ClaimedKey]
    {
        try await pool.write { db in
            let claimOneTimeKey = try db.cachedStatement(
                sql: """
                    UPDATE one_time_keys SET claimed_at = ?
                    WHERE seq = (
                        SELECT seq FROM one_time_keys
                        WHERE user_id = ? AND device_id = ? AND algorithm = ? AND claimed_at IS NULL
                        ORDER BY seq LIMIT 1)
                    RETURNING key_id, key_json
                    """)
            let claimFallbackKey = try db.cachedStatement(
                sql: """
                    UPDATE fallback_keys SET used = 1 WHERE user_id = ? AND device_id = ? AND algorithm = ?
                    RETURNING key_id, key_json
                    """)
            var claimed: [ClaimedKey] = []
            for target in targets {
                if source.oneTimeKeys,
                    let row = try Row.fetchOne(
                        claimOneTimeKey, arguments: [now, target.userID, target.deviceID, target.algorithm])
                {
                    let key = OneTimeKey(
                        keyID: row["key_id"], algorithm: target.algorithm, value: try Self.decode(row["key_json"]))
                    claimed.append(
                        ClaimedKey(userID: target.userID, deviceID: target.deviceID, key: key, isFallback: false))
                } else if source.fallback,
                    let row = try Row.fetchOne(
                        claimFallbackKey, arguments: [target.userID, target.deviceID, target.algorithm])
                {
                    let key = OneTimeKey(
                        keyID: row["key_id"], algorithm: target.algorithm, value: try Self.decode(row["key_json"]))
                    claimed.append(
                        ClaimedKey(userID: target.userID, deviceID: target.deviceID, key: key, isFallback: true))
                }
            }
            return claimed
        }
    }
}
