import KeyportSQLite
public import KeyportStore
import MatrixModel

extension SQLiteStore: ServerKeyStore {
    public func storeServerKeys(_ keys: [ServerKeyRecord]) async throws {
        try await pool.write { db in
            for key in keys {
                try db.execute(
                    sql: """
                        INSERT OR REPLACE INTO server_keys (server_name, key_id, public_key, valid_until_ts, expired_ts)
                        VALUES (?, ?, ?, ?, ?)
                        """,
                    arguments: [key.serverName, key.keyID, key.publicKey, key.validUntilTS, key.expiredTS])
            }
        }
    }

    public func serverKeys(serverName: String) async throws -> [ServerKeyRecord] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM server_keys WHERE server_name = ? ORDER BY key_id", arguments: [serverName]
            ).map { row in
                ServerKeyRecord(
                    serverName: row["server_name"], keyID: row["key_id"], publicKey: row["public_key"],
                    validUntilTS: row["valid_until_ts"], expiredTS: row["expired_ts"])
            }
        }
    }
}

extension SQLiteStore: FederationStore {
    /// How long inbound transaction replies and to-device `message_id`s are remembered.
    static let federationDedupMilliseconds: Int64 = 7 * 24 * 3600 * 1000

    public func transactionResponse(origin: String, transactionID: String) async throws -> String? {
        try await pool.read { db in
            try String.fetchOne(
                db, sql: "SELECT response_json FROM federation_inbound_txns WHERE origin = ? AND txn_id = ?",
                arguments: [origin, transactionID])
        }
    }

    public func recordTransaction(origin: String, transactionID: String, response: String, now: Int64) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO federation_inbound_txns (origin, txn_id, response_json, received_at)
                    VALUES (?, ?, ?, ?)
                    """,
                arguments: [origin, transactionID, response, now])
            let cutoff = now - Self.federationDedupMilliseconds
            try db.execute(sql: "DELETE FROM federation_inbound_txns WHERE received_at < ?", arguments: [cutoff])
            try db.execute(sql: "DELETE FROM federation_to_device_seen WHERE received_at < ?", arguments: [cutoff])
        }
    }

    public func enqueueEDUs(_ edus: [QueuedEDU], now: Int64) async throws {
        try await pool.write { db in try Self.insertEDUs(db, edus, now: now) }
    }

    static func insertEDUs(_ db: Database, _ edus: [QueuedEDU], now: Int64) throws {
        let insert = try db.cachedStatement(
            sql: "INSERT INTO federation_outbox (destination, edu_type, content_json, created_at) VALUES (?, ?, ?, ?)")
        for edu in edus {
            try insert.execute(arguments: [edu.destination, edu.type, encode(edu.content), now])
        }
    }

    public func queuedEDUs(destination: String, limit: Int) async throws -> [QueuedEDU] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, destination, edu_type, content_json FROM federation_outbox WHERE destination = ?
                    ORDER BY edu_type != 'm.direct_to_device', id LIMIT ?
                    """,
                arguments: [destination, limit]
            ).map { row in
                QueuedEDU(
                    id: row["id"], destination: row["destination"], type: row["edu_type"],
                    content: try Self.decodeObject(row["content_json"]))
            }
        }
    }

    public func deleteQueuedEDUs(ids: [Int64], under lease: Lease) async throws -> Bool {
        try await pool.write { db in
            guard LeaseRule.isHeld(current: try Self.lease(db, named: lease.name), lease: lease) else { return false }
            let delete = try db.cachedStatement(sql: "DELETE FROM federation_outbox WHERE id = ?")
            for id in ids { try delete.execute(arguments: [id]) }
            return true
        }
    }

    public func queuedEDUCounts() async throws -> [String: Int] {
        try await pool.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT destination, COUNT(*) AS queued FROM federation_outbox GROUP BY destination")
            {
                counts[row["destination"]] = row["queued"]
            }
            return counts
        }
    }

    public func destinationsWithQueuedEDUs() async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT destination FROM federation_outbox ORDER BY destination")
        }
    }

    public func remoteServersSharingRoom(with userID: String, localServer: String) async throws -> Set<String> {
        try await pool.read { db in
            let members = try String.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT other.user_id FROM room_memberships mine
                    JOIN room_memberships other ON other.room_id = mine.room_id AND other.membership = 'join'
                    WHERE mine.user_id = ? AND mine.membership = 'join'
                    """,
                arguments: [userID])
            var servers: Set<String> = []
            for member in members {
                if let server = UserID(member)?.serverName.rawValue, server != localServer { servers.insert(server) }
            }
            return servers
        }
    }

    public func latestDeviceListStreamID(userID: String) async throws -> Int64 {
        try await pool.read { db in
            try Int64.fetchOne(
                db,
                sql: """
                    SELECT max(stream_id) FROM device_list_stream
                    WHERE user_id = ? AND kind IN ('device', 'cross_signing')
                    """,
                arguments: [userID]) ?? 0
        }
    }

    public func deviceListFanOutPosition() async throws -> Int64 {
        try await pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT position FROM federation_positions WHERE name = 'device_list_fan_out'")
                ?? 0
        }
    }

    public func enqueueDeviceListFanOut(_ edus: [QueuedEDU], from: Int64, upTo position: Int64, now: Int64)
        async throws -> Bool
    {
        try await pool.write { db in
            let current = try Int64.fetchOne(
                db, sql: "SELECT position FROM federation_positions WHERE name = 'device_list_fan_out'")
            guard (current ?? 0) == from else { return false }
            let last = try db.cachedStatement(
                sql: "SELECT last_stream_id FROM device_list_outbound WHERE destination = ? AND user_id = ?")
            let remember = try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO device_list_outbound (destination, user_id, last_stream_id) VALUES (?, ?, ?)
                    """)
            var chained: [QueuedEDU] = []
            for edu in edus {
                guard let (userID, streamID) = DeviceListUpdateChainRule.link(of: edu) else {
                    chained.append(edu)
                    continue
                }
                let previous = try Int64.fetchOne(last, arguments: [edu.destination, userID])
                chained.append(DeviceListUpdateChainRule.chained(edu, previous: previous))
                try remember.execute(arguments: [edu.destination, userID, streamID])
            }
            try Self.insertEDUs(db, chained, now: now)
            try db.execute(
                sql: "INSERT OR REPLACE INTO federation_positions (name, position) VALUES ('device_list_fan_out', ?)",
                arguments: [position])
            return true
        }
    }
}
