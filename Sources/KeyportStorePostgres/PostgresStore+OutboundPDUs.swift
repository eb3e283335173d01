public import KeyportStore
import PostgresNIO

extension PostgresStore: OutboundPDUStore {
    public func enqueuePDUs(eventIDs: [String], destinations: Set<String>, now: Int64) async throws {
        try await write { db in
            try await Self.insertPDUs(db, eventIDs: eventIDs, destinations: destinations, now: now)
        }
    }

    /// Queues stored events for destinations inside the caller's transaction, so a room write can
    /// queue its events in the transaction that stores them. Ids come from the queue's counter, so
    /// queue order is commit order; an entry already queued leaves a hole in the ids, never a
    /// second entry.
    static func insertPDUs(_ db: PostgresTransaction, eventIDs: [String], destinations: Set<String>, now: Int64)
        async throws
    {
        guard !eventIDs.isEmpty, !destinations.isEmpty else { return }
        let distinct = Set(eventIDs)
        let stored = try await db.value(
            Int64.self, "SELECT COUNT(*)::BIGINT FROM room_events WHERE event_id = ANY(\(Array(distinct)))")
        guard stored == Int64(distinct.count) else { throw StoreError.notFound }
        var id = try await db.reservePositions(.federationPDUOutbox, count: eventIDs.count * destinations.count)
        for eventID in eventIDs {
            for destination in destinations.sorted() {
                try await db.execute(
                    """
                    INSERT INTO federation_pdu_outbox (id, destination, event_id, created_at)
                    VALUES (\(id), \(destination), \(eventID), \(now))
                    ON CONFLICT (destination, event_id) DO NOTHING
                    """)
                id += 1
            }
        }
    }

    public func queuedPDUs(destination: String, limit: Int) async throws -> [QueuedPDU] {
        try await read { db in
            try await db.rows(
                """
                SELECT queue.id, queue.destination, queue.event_id, room_events.pdu_json
                FROM federation_pdu_outbox queue LEFT JOIN room_events ON room_events.event_id = queue.event_id
                WHERE queue.destination = \(destination) ORDER BY queue.id LIMIT \(Int64(limit))
                """
            ).map { row in
                let (id, destination, eventID, pdu) = try row.decode((Int64, String, String, String?).self)
                return QueuedPDU(
                    id: id, destination: destination, eventID: eventID, pdu: try pdu.map(Self.decodeObject))
            }
        }
    }

    public func deleteQueuedPDUs(ids: [Int64], under lease: Lease) async throws -> Bool {
        try await write { db in
            // Locks the lease row: a taker waits until this transaction ends, and sees the rows gone.
            guard LeaseRule.isHeld(current: try await Self.lease(db, named: lease.name), lease: lease) else {
                return false
            }
            try await db.execute("DELETE FROM federation_pdu_outbox WHERE id = ANY(\(ids))")
            return true
        }
    }

    public func destinationsWithQueuedPDUs() async throws -> [String] {
        try await read { db in
            try await db.values(
                String.self, "SELECT DISTINCT destination FROM federation_pdu_outbox ORDER BY destination")
        }
    }

    public func queuedPDUCounts() async throws -> [String: Int] {
        try await read { db in
            var counts: [String: Int] = [:]
            for row in try await db.rows(
                "SELECT destination, COUNT(*)::BIGINT FROM federation_pdu_outbox GROUP BY destination")
            {
                let (destination, queued) = try row.decode((String, Int).self)
                counts[destination] = queued
            }
            return counts
        }
    }
}
