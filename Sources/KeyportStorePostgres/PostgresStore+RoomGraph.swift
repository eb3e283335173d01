public import KeyportStore
import PostgresNIO

/// The room graph on PostgreSQL: an update is written in one transaction holding the room's lock,
/// so updates of one room take turns (compare-and-set on the extremities across processes), with
/// positions from the room-events counter; state snapshots are laid out by ``StateGroupLayout`` as
/// on SQLite; auth chains are walked with a recursive query.
extension PostgresStore {
    public func applyRoomUpdate(_ update: RoomUpdate) async throws -> [RoomEvent] {
        try await write { db in try await Self.applyRoomUpdate(db, update) }
    }

    /// `applyRoomUpdate` inside the caller's transaction.
    static func applyRoomUpdate(_ db: PostgresTransaction, _ update: RoomUpdate) async throws -> [RoomEvent] {
        try await lockRoom(db, update.roomID)
        if let earlier = try await earlierTransactionEvent(db, update) { return [earlier] }
        guard try await extremities(db, update.roomID) == update.expectedExtremities else {
            throw StoreError.conflict("the forward extremities of \(update.roomID) moved")
        }
        let stored = try await writeEvents(db, update)
        try await writeExtremitiesAndState(db, update, stored: stored)
        if !update.sendTo.isEmpty {
            try await insertPDUs(
                db, eventIDs: update.events.map(\.event.eventID), destinations: update.sendTo, now: update.queuedAt)
        }
        return stored
    }

    public func replaceLegacyRoom(_ update: RoomUpdate, version: String) async throws -> [RoomEvent] {
        try await write { db in
            try await Self.lockRoom(db, update.roomID)
            // Only once: another process may have rebuilt the room meanwhile.
            let claimed = try await db.exists(
                """
                UPDATE rooms SET room_version = \(version) WHERE room_id = \(update.roomID) AND room_version IS NULL
                RETURNING 1
                """)
            if !claimed { return [] }
            try await db.execute(
                """
                DELETE FROM room_state_group_entries
                WHERE group_id IN (SELECT id FROM room_state_groups WHERE room_id = \(update.roomID))
                """)
            for table in ["room_events", "room_state", "room_forward_extremities", "room_state_groups"] {
                try await db.execute("DELETE FROM \(unescaped: table) WHERE room_id = \(update.roomID)")
            }
            let stored = try await Self.writeEvents(db, update)
            try await Self.writeExtremitiesAndState(db, update, stored: stored)
            return stored
        }
    }

    public func legacyRooms() async throws -> [String] {
        try await read { db in
            try await db.values(
                String.self, "SELECT room_id FROM rooms WHERE room_version IS NULL ORDER BY created_at, room_id")
        }
    }

    public func forwardExtremities(roomID: String) async throws -> Set<String> {
        try await read { db in try await Self.extremities(db, roomID) }
    }

    public func events(_ ids: Set<String>) async throws -> [String: RoomEvent] {
        guard !ids.isEmpty else { return [:] }
        return try await read { db in
            try await Self.storedEvents(db, ids).mapValues(\.event)
        }
    }

    public func stateAfter(eventID: String) async throws -> RoomStateIDs? {
        try await read { db in
            guard let group = try await Self.stateGroup(db, of: eventID) else { return nil }
            return try await Self.state(db, group: group)
        }
    }

    public func authChain(of ids: Set<String>) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        return try await read { db in
            Set(
                try await db.values(
                    String.self,
                    """
                    WITH RECURSIVE chain(id) AS (
                        SELECT event_id FROM room_events WHERE event_id = ANY(\(Array(ids)))
                        UNION
                        SELECT edge.auth_event_id FROM room_event_auth_edges edge JOIN chain ON edge.event_id = chain.id
                    )
                    SELECT chain.id FROM chain JOIN room_events ON room_events.event_id = chain.id
                    """))
        }
    }

    public func rejectedEvents(among ids: Set<String>) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        return try await read { db in
            Set(
                try await db.values(
                    String.self,
                    """
                    SELECT event_id FROM room_events WHERE event_id = ANY(\(Array(ids))) AND rejected_reason IS NOT NULL
                    """))
        }
    }

    // MARK: - Reading inside a transaction

    static func extremities(_ db: PostgresTransaction, _ roomID: String) async throws -> Set<String> {
        Set(
            try await db.values(
                String.self, "SELECT event_id FROM room_forward_extremities WHERE room_id = \(roomID)"))
    }

    /// The stored events among `ids`, each with its state snapshot (nil when none is recorded).
    static func storedEvents(
        _ db: PostgresTransaction, _ ids: Set<String>
    ) async throws -> [String: (event: RoomEvent, group: Int64?)] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await db.rows(
            """
            SELECT \(unescaped: eventColumnList), state_group FROM room_events WHERE event_id = ANY(\(Array(ids)))
            """)
        var events: [String: (event: RoomEvent, group: Int64?)] = [:]
        for row in rows {
            let event = try event(row)
            events[event.eventID] = (event, try row.makeRandomAccess()["state_group"].decode(Int64?.self))
        }
        return events
    }

    /// The state snapshot recorded for an event, if any.
    static func stateGroup(_ db: PostgresTransaction, of eventID: String) async throws -> Int64? {
        try await db.rows("SELECT state_group FROM room_events WHERE event_id = \(eventID)").first?.decode(
            Int64?.self) ?? nil
    }

    /// The full state of a snapshot: its chain's deltas applied oldest first.
    static func state(_ db: PostgresTransaction, group: Int64) async throws -> RoomStateIDs {
        let rows = try await db.rows(
            """
            WITH RECURSIVE chain(id, previous, distance) AS (
                SELECT id, prev_group, 0::bigint FROM room_state_groups WHERE id = \(group)
                UNION ALL
                SELECT g.id, g.prev_group, chain.distance + 1 FROM room_state_groups g JOIN chain ON g.id = chain.previous
            )
            SELECT chain.distance, e.type, e.state_key, e.event_id
            FROM chain JOIN room_state_group_entries e ON e.group_id = chain.id
            """)
        var layers: [Int64: [RoomStateKey: String?]] = [:]
        for row in rows {
            let (distance, type, stateKey, eventID) = try row.decode((Int64, String, String, String?).self)
            layers[distance, default: [:]][RoomStateKey(type, stateKey)] = .some(eventID)
        }
        return StateGroupLayout.apply(layers.keys.sorted(by: >).compactMap { layers[$0] }, to: [:])
    }
}
