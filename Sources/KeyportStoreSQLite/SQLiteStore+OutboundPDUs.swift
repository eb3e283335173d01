import KeyportSQLite
public import KeyportStore

extension SQLiteStore: OutboundPDUStore {
    public func enqueuePDUs(eventIDs: [String], destinations: Set<String>, now: Int64) async throws {
        try await pool.write { db in
            try Self.insertPDUs(db, eventIDs: eventIDs, destinations: destinations, now: now)
        }
    }

    /// Queues stored events for destinations inside the caller's transaction, so a room write can
    /// queue its events in the transaction that stores them.
    static func insertPDUs(_ db: Database, eventIDs: [String], destinations: Set<String>, now: Int64) throws {
        let stored = try db.cachedStatement(sql: "SELECT 1 FROM room_events WHERE event_id = ?")
        for eventID in eventIDs where try Int64.fetchOne(stored, arguments: [eventID]) == nil {
            throw StoreError.notFound
        }
        let insert = try db.cachedStatement(
            sql: "INSERT OR IGNORE INTO federation_pdu_outbox (destination, event_id, created_at) VALUES (?, ?, ?)")
        for eventID in eventIDs {
            for destination in destinations.sorted() {
                try insert.execute(arguments: [destination, eventID, now])
            }
        }
    }

    public func queuedPDUs(destination: String, limit: Int) async throws -> [QueuedPDU] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT queue.id, queue.destination, queue.event_id, room_events.pdu_json
                    FROM federation_pdu_outbox queue LEFT JOIN room_events ON room_events.event_id = queue.event_id
                    WHERE queue.destination = ? ORDER BY queue.id LIMIT ?
                    """,
                arguments: [destination, limit]
            ).map { row in
                let pdu: String? = row["pdu_json"]
                return QueuedPDU(
                    id: row["id"], destination: row["destination"], eventID: row["event_id"],
                    pdu: try pdu.map(Self.decodeObject))
            }
        }
    }

    public func deleteQueuedPDUs(ids: [Int64], under lease: Lease) async throws -> Bool {
        try await pool.write { db in
            guard LeaseRule.isHeld(current: try Self.lease(db, named: lease.name), lease: lease) else { return false }
            let delete = try db.cachedStatement(sql: "DELETE FROM federation_pdu_outbox WHERE id = ?")
            for id in ids { try delete.execute(arguments: [id]) }
            return true
        }
    }

    public func destinationsWithQueuedPDUs() async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT destination FROM federation_pdu_outbox ORDER BY destination")
        }
    }

    public func queuedPDUCounts() async throws -> [String: Int] {
        try await pool.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT destination, COUNT(*) AS queued FROM federation_pdu_outbox GROUP BY destination")
            {
                counts[row["destination"]] = row["queued"]
            }
            return counts
        }
    }
}
