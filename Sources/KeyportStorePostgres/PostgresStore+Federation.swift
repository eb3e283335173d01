public import KeyportStore
import MatrixModel
import PostgresNIO

extension PostgresStore: ServerKeyStore {
    public func storeServerKeys(_ keys: [ServerKeyRecord]) async throws {
        try await write { db in
            for key in keys {
                try await db.execute(
                    """
                    INSERT INTO server_keys (server_name, key_id, public_key, valid_until_ts, expired_ts)
                    VALUES (\(key.serverName), \(key.keyID), \(key.publicKey), \(key.validUntilTS), \(key.expiredTS))
                    ON CONFLICT (server_name, key_id) DO UPDATE SET public_key = excluded.public_key,
                        valid_until_ts = excluded.valid_until_ts, expired_ts = excluded.expired_ts
                    """)
            }
        }
    }

    public func serverKeys(serverName: String) async throws -> [ServerKeyRecord] {
        try await read { db in
            try await db.rows(
                """
                SELECT server_name, key_id, public_key, valid_until_ts, expired_ts FROM server_keys
                WHERE server_name = \(serverName) ORDER BY key_id
                """
            ).map { row in
                let (server, keyID, publicKey, validUntil, expired) = try row.decode(
                    (String, String, String, Int64, Int64?).self)
                return ServerKeyRecord(
                    serverName: server, keyID: keyID, publicKey: publicKey, validUntilTS: validUntil,
                    expiredTS: expired)
            }
        }
    }
}

extension PostgresStore: FederationStore {
    /// How long inbound transaction replies and to-device `message_id`s are remembered.
    static let federationDedupMilliseconds: Int64 = 7 * 24 * 3600 * 1000

    public func transactionResponse(origin: String, transactionID: String) async throws -> String? {
        try await read { db in
            try await db.value(
                String.self,
                "SELECT response_json FROM federation_inbound_txns WHERE origin = \(origin) AND txn_id = \(transactionID)"
            )
        }
    }

    public func recordTransaction(origin: String, transactionID: String, response: String, now: Int64) async throws {
        try await write { db in
            try await db.execute(
                """
                INSERT INTO federation_inbound_txns (origin, txn_id, response_json, received_at)
                VALUES (\(origin), \(transactionID), \(response), \(now))
                ON CONFLICT (origin, txn_id)
                DO UPDATE SET response_json = excluded.response_json, received_at = excluded.received_at
                """)
            let cutoff = now - Self.federationDedupMilliseconds
            try await db.execute("DELETE FROM federation_inbound_txns WHERE received_at < \(cutoff)")
            try await db.execute("DELETE FROM federation_to_device_seen WHERE received_at < \(cutoff)")
        }
    }

    public func enqueueEDUs(_ edus: [QueuedEDU], now: Int64) async throws {
        try await write { db in try await Self.insertEDUs(db, edus, now: now) }
    }

    /// Queues EDUs with ids from the outbox counter, so ids are in commit order.
    static func insertEDUs(_ db: PostgresTransaction, _ edus: [QueuedEDU], now: Int64) async throws {
        guard !edus.isEmpty else { return }
        var id = try await db.reservePositions(.federationOutbox, count: edus.count)
        for edu in edus {
            try await db.execute(
                """
                INSERT INTO federation_outbox (id, destination, edu_type, content_json, created_at)
                VALUES (\(id), \(edu.destination), \(edu.type), \(encode(edu.content)), \(now))
                """)
            id += 1
        }
    }

    public func queuedEDUs(destination: String, limit: Int) async throws -> [QueuedEDU] {
        try await read { db in
            try await db.rows(
                """
                SELECT id, destination, edu_type, content_json FROM federation_outbox WHERE destination = \(destination)
                ORDER BY edu_type != 'm.direct_to_device', id LIMIT \(Int64(limit))
                """
            ).map { row in
                let (id, destination, type, content) = try row.decode((Int64, String, String, String).self)
                return QueuedEDU(id: id, destination: destination, type: type, content: try Self.decodeObject(content))
            }
        }
    }

    public func deleteQueuedEDUs(ids: [Int64], under lease: Lease) async throws -> Bool {
        try await write { db in
            // Locks the lease row: a taker waits until this transaction ends, and sees the rows gone.
            guard LeaseRule.isHeld(current: try await Self.lease(db, named: lease.name), lease: lease) else {
                return false
            }
            try await db.execute("DELETE FROM federation_outbox WHERE id = ANY(\(ids))")
            return true
        }
    }

    public func queuedEDUCounts() async throws -> [String: Int] {
        try await read { db in
            var counts: [String: Int] = [:]
            for row in try await db.rows(
                "SELECT destination, COUNT(*)::BIGINT FROM federation_outbox GROUP BY destination")
            {
                let (destination, queued) = try row.decode((String, Int).self)
                counts[destination] = queued
            }
            return counts
        }
    }

    public func destinationsWithQueuedEDUs() async throws -> [String] {
        try await read { db in
            try await db.values(String.self, "SELECT DISTINCT destination FROM federation_outbox ORDER BY destination")
        }
    }

    public func remoteServersSharingRoom(with userID: String, localServer: String) async throws -> Set<String> {
        let members = try await read { db in
            try await db.values(
                String.self,
                """
                SELECT DISTINCT other.user_id FROM room_memberships mine
                JOIN room_memberships other ON other.room_id = mine.room_id AND other.membership = 'join'
                WHERE mine.user_id = \(userID) AND mine.membership = 'join'
                """)
        }
        var servers: Set<String> = []
        for member in members {
            if let server = UserID(member)?.serverName.rawValue, server != localServer { servers.insert(server) }
        }
        return servers
    }

    public func latestDeviceListStreamID(userID: String) async throws -> Int64 {
        try await read { db in
            try await db.value(
                Int64.self,
                """
                SELECT COALESCE(max(stream_id), 0) FROM device_list_stream
                WHERE user_id = \(userID) AND kind IN ('device', 'cross_signing')
                """) ?? 0
        }
    }

    public func deviceListFanOutPosition() async throws -> Int64 {
        try await read { db in
            try await db.value(
                Int64.self, "SELECT position FROM federation_positions WHERE name = 'device_list_fan_out'") ?? 0
        }
    }

    public func enqueueDeviceListFanOut(_ edus: [QueuedEDU], from: Int64, upTo position: Int64, now: Int64)
        async throws -> Bool
    {
        try await write { db in
            // The compare-and-set comes first: it locks the position row, so a concurrent fan-out of
            // the same range waits here, then finds the position moved and queues nothing (a second first
            // insert waits for the first likewise, then finds its row and does not update it).
            let moved: Bool
            if from == 0 {
                moved = try await db.exists(
                    """
                    INSERT INTO federation_positions (name, position) VALUES ('device_list_fan_out', \(position))
                    ON CONFLICT (name) DO UPDATE SET position = excluded.position
                    WHERE federation_positions.position = 0
                    RETURNING 1
                    """)
            } else {
                moved = try await db.exists(
                    """
                    UPDATE federation_positions SET position = \(position)
                    WHERE name = 'device_list_fan_out' AND position = \(from)
                    RETURNING 1
                    """)
            }
            guard moved else { return false }
            var chained: [QueuedEDU] = []
            for edu in edus {
                guard let (userID, streamID) = DeviceListUpdateChainRule.link(of: edu) else {
                    chained.append(edu)
                    continue
                }
                let previous = try await db.value(
                    Int64.self,
                    """
                    SELECT last_stream_id FROM device_list_outbound
                    WHERE destination = \(edu.destination) AND user_id = \(userID)
                    """)
                chained.append(DeviceListUpdateChainRule.chained(edu, previous: previous))
                try await db.execute(
                    """
                    INSERT INTO device_list_outbound (destination, user_id, last_stream_id)
                    VALUES (\(edu.destination), \(userID), \(streamID))
                    ON CONFLICT (destination, user_id) DO UPDATE SET last_stream_id = excluded.last_stream_id
                    """)
            }
            try await Self.insertEDUs(db, chained, now: now)
            return true
        }
    }
}
