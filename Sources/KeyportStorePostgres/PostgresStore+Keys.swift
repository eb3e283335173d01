public import KeyportStore
public import MatrixModel
import PostgresNIO

extension PostgresStore: KeyStore {
    public func uploadKeys(_ upload: KeyUpload) async throws -> [String: Int] {
        try await write { db in try await Self.applyKeyUpload(db, upload) }
    }

    /// The whole of `uploadKeys` inside a transaction the caller holds.
    static func applyKeyUpload(_ db: PostgresTransaction, _ upload: KeyUpload) async throws -> [String: Int] {
        let (userID, deviceID) = (upload.userID, upload.deviceID)
        if let (object, ed25519) = upload.deviceKeys {
            let encoded = Self.encode(object)
            let stored = try await db.rows(
                """
                SELECT ed25519, key_json FROM device_keys WHERE user_id = \(userID) AND device_id = \(deviceID)
                FOR UPDATE
                """
            ).first.map { try $0.decode((String, String).self) }
            if let stored, stored.0 != ed25519 { throw StoreError.identityKeyChanged }
            if stored?.1 != encoded {
                try await db.execute(
                    """
                    INSERT INTO device_keys (user_id, device_id, ed25519, key_json)
                    VALUES (\(userID), \(deviceID), \(ed25519), \(encoded))
                    ON CONFLICT (user_id, device_id) DO UPDATE SET key_json = excluded.key_json
                    """)
                db.appendChange(userID: userID, kind: .device, deviceID: deviceID)
            }
        }
        for key in upload.oneTimeKeys {
            let stored = try await db.value(
                String.self,
                """
                SELECT key_json FROM one_time_keys
                WHERE user_id = \(userID) AND device_id = \(deviceID) AND key_id = \(key.keyID)
                """)
            if let stored {
                guard try Self.decode(stored) == key.value else { throw StoreError.keyConflict(keyID: key.keyID) }
                continue
            }
            try await db.execute(
                """
                INSERT INTO one_time_keys (user_id, device_id, algorithm, key_id, key_json)
                VALUES (\(userID), \(deviceID), \(key.algorithm), \(key.keyID), \(Self.encode(key.value)))
                """)
        }
        for key in upload.fallbackKeys {
            let stored = try await db.rows(
                """
                SELECT key_id, key_json FROM fallback_keys
                WHERE user_id = \(userID) AND device_id = \(deviceID) AND algorithm = \(key.algorithm)
                """
            ).first.map { try $0.decode((String, String).self) }
            if let stored, stored.0 == key.keyID, try Self.decode(stored.1) == key.value {
                continue  // identical re-upload keeps its used flag, as Synapse does
            }
            try await db.execute(
                """
                INSERT INTO fallback_keys (user_id, device_id, algorithm, key_id, key_json, used)
                VALUES (\(userID), \(deviceID), \(key.algorithm), \(key.keyID), \(Self.encode(key.value)), FALSE)
                ON CONFLICT (user_id, device_id, algorithm)
                DO UPDATE SET key_id = excluded.key_id, key_json = excluded.key_json, used = FALSE
                """)
        }
        return try await Self.counts(db, userID: userID, deviceID: deviceID)
    }

    static func counts(_ db: PostgresTransaction, userID: String, deviceID: String) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try await db.rows(
            """
            SELECT algorithm, COUNT(*) FROM one_time_keys
            WHERE user_id = \(userID) AND device_id = \(deviceID) AND claimed_at IS NULL GROUP BY algorithm
            """)
        {
            let (algorithm, count) = try row.decode((String, Int64).self)
            counts[algorithm] = Int(count)
        }
        return counts
    }

    public func oneTimeKeyCounts(userID: String, deviceID: String) async throws -> [String: Int] {
        try await read { db in try await Self.counts(db, userID: userID, deviceID: deviceID) }
    }

    public func unusedFallbackKeyTypes(userID: String, deviceID: String) async throws -> [String] {
        try await read { db in
            try await db.values(
                String.self,
                """
                SELECT algorithm FROM fallback_keys
                WHERE user_id = \(userID) AND device_id = \(deviceID) AND NOT used ORDER BY algorithm
                """)
        }
    }

    public func deviceKeys(userID: String, deviceID: String) async throws -> JSONObject? {
        try await read { db in
            try await db.value(
                String.self, "SELECT key_json FROM device_keys WHERE user_id = \(userID) AND device_id = \(deviceID)"
            ).map(Self.decodeObject)
        }
    }

    /// One statement for every user asked about, whether for all their devices or some.
    public func queryDevices(_ request: [String: [String]]) async throws -> [String: [StoredDeviceKeys]] {
        // A query for remote users only asks nothing here.
        guard !request.isEmpty else { return [:] }
        var everyDevice: [String] = []
        var pairUsers: [String] = []
        var pairDevices: [String] = []
        for (userID, deviceIDs) in request {
            if deviceIDs.isEmpty {
                everyDevice.append(userID)
            } else {
                for deviceID in Set(deviceIDs) {
                    pairUsers.append(userID)
                    pairDevices.append(deviceID)
                }
            }
        }
        let rows = try await single(.read) { [everyDevice, pairUsers, pairDevices] db in
            try await db.rows(
                """
                SELECT d.user_id, d.device_id, d.display_name, k.key_json FROM devices d
                LEFT JOIN device_keys k ON k.user_id = d.user_id AND k.device_id = d.device_id
                WHERE d.user_id = ANY(\(everyDevice)::text[])
                    OR (d.user_id, d.device_id) IN (
                        SELECT u, v FROM unnest(\(pairUsers)::text[], \(pairDevices)::text[]) AS p(u, v))
                """
            ).map { row in
                let (userID, deviceID, displayName, keysJSON) = try row.decode((String, String, String?, String?).self)
                return (userID, StoredDeviceKeys(deviceID: deviceID, keysJSON: keysJSON, displayName: displayName))
            }
        }
        var result: [String: [StoredDeviceKeys]] = [:]
        for userID in request.keys { result[userID] = [] }
        for (userID, device) in rows { result[userID, default: []].append(device) }
        return result
    }

    /// Claims exactly once under any isolation level: the oldest unclaimed key not locked by
    /// another claim is locked (`FOR UPDATE SKIP LOCKED`), then marked claimed only if it still is
    /// unclaimed. Two claims can never both lock one row, and a row a committed claim took fails
    /// the recheck. Under REPEATABLE READ or SERIALIZABLE a conflict is a serialization failure,
    /// and the transaction runs again. A key another claim holds is skipped, not waited for. A
    /// claim of one key runs as a statement of its own, at READ COMMITTED, where the same lock and
    /// recheck keep it to one claimer.
    public func claimKeys(_ targets: [ClaimTarget], now: Int64, from source: ClaimSource) async throws
        -> [ClaimedKey]
    {
        // One key for one device, the usual claim: its one statement alone, in one round trip. Only
        // when no one-time key is left does the claim take the transaction below for the fallback.
        if targets.count == 1, source.oneTimeKeys, let target = targets.first,
            let row = try await single(.write, { db in try await Self.claimOneTimeKey(db, target, now: now) })
        {
            let (keyID, json) = try row.decode((String, String).self)
            let key = OneTimeKey(keyID: keyID, algorithm: target.algorithm, value: try Self.decode(json))
            return [ClaimedKey(userID: target.userID, deviceID: target.deviceID, key: key, isFallback: false)]
        }
        return try await write { db in
            var claimed: [ClaimedKey] = []
            for target in targets {
                let (userID, deviceID, algorithm) = (target.userID, target.deviceID, target.algorithm)
                var row: PostgresRow?
                if source.oneTimeKeys {
                    row = try await Self.claimOneTimeKey(db, target, now: now)
                }
                let isFallback = row == nil
                if isFallback, source.fallback {
                    row = try await Self.claimFallbackKey(db, target)
                }
                guard let row else { continue }
                let (keyID, json) = try row.decode((String, String).self)
                let key = OneTimeKey(keyID: keyID, algorithm: algorithm, value: try Self.decode(json))
                claimed.append(ClaimedKey(userID: userID, deviceID: deviceID, key: key, isFallback: isFallback))
            }
            return claimed
        }
    }

    /// The target's oldest unclaimed one-time key, marked claimed; nil when none is left.
    private static func claimOneTimeKey(_ db: PostgresTransaction, _ target: ClaimTarget, now: Int64) async throws
        -> PostgresRow?
    {
        let (userID, deviceID, algorithm) = (target.userID, target.deviceID, target.algorithm)
        return try await db.rows(
            """
            WITH candidate AS (
                SELECT seq FROM one_time_keys
                WHERE user_id = \(userID) AND device_id = \(deviceID) AND algorithm = \(algorithm)
                    AND claimed_at IS NULL
                ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)
            UPDATE one_time_keys k SET claimed_at = \(now) FROM candidate
            WHERE k.seq = candidate.seq AND k.claimed_at IS NULL
            RETURNING k.key_id, k.key_json
            """
        ).first
    }

    /// The target's fallback key, marked used; nil when it has none. The key is handed out again
    /// and again; only its first use writes, so claims of a used one do not contend for its row.
    private static func claimFallbackKey(_ db: PostgresTransaction, _ target: ClaimTarget) async throws
        -> PostgresRow?
    {
        let (userID, deviceID, algorithm) = (target.userID, target.deviceID, target.algorithm)
        if let row = try await db.rows(
            """
            UPDATE fallback_keys SET used = TRUE
            WHERE user_id = \(userID) AND device_id = \(deviceID) AND algorithm = \(algorithm) AND NOT used
            RETURNING key_id, key_json
            """
        ).first {
            return row
        }
        return try await db.rows(
            """
            SELECT key_id, key_json FROM fallback_keys
            WHERE user_id = \(userID) AND device_id = \(deviceID) AND algorithm = \(algorithm)
            """
        ).first
    }
}
