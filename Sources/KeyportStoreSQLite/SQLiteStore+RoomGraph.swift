import KeyportSQLite
public import KeyportStore
import MatrixModel

/// The room graph on SQLite: updates written in one transaction, state snapshots laid out by
/// ``StateGroupLayout``, auth chains walked with a recursive query.
extension SQLiteStore {
    public func applyRoomUpdate(_ update: RoomUpdate) async throws -> [RoomEvent] {
        try await pool.write { db in
            if let earlier = try Self.earlierTransactionEvent(db, update) { return [earlier] }
            let current = Set(
                try String.fetchAll(
                    db, sql: "SELECT event_id FROM room_forward_extremities WHERE room_id = ?",
                    arguments: [update.roomID]))
            guard current == update.expectedExtremities else {
                throw StoreError.conflict("the forward extremities of \(update.roomID) moved")
            }
            let stored = try Self.writeEvents(db, update)
            try Self.writeExtremitiesAndState(db, update, stored: stored)
            if !update.sendTo.isEmpty {
                try Self.insertPDUs(
                    db, eventIDs: update.events.map(\.event.eventID), destinations: update.sendTo,
                    now: update.queuedAt)
            }
            return stored
        }
    }

    public func replaceLegacyRoom(_ update: RoomUpdate, version: String) async throws -> [RoomEvent] {
        try await pool.write { db in
            // Only once: another process may have rebuilt the room meanwhile.
            try db.execute(
                sql: "UPDATE rooms SET room_version = ? WHERE room_id = ? AND room_version IS NULL",
                arguments: [version, update.roomID])
            if db.changesCount == 0 { return [] }
            try db.execute(
                sql: """
                    DELETE FROM room_state_group_entries
                    WHERE group_id IN (SELECT id FROM room_state_groups WHERE room_id = ?)
                    """,
                arguments: [update.roomID])
            for table in ["room_events", "room_state", "room_forward_extremities", "room_state_groups"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE room_id = ?", arguments: [update.roomID])
            }
            let stored = try Self.writeEvents(db, update)
            try Self.writeExtremitiesAndState(db, update, stored: stored)
            return stored
        }
    }

    public func legacyRooms() async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(
                db, sql: "SELECT room_id FROM rooms WHERE room_version IS NULL ORDER BY created_at, room_id")
        }
    }

    public func forwardExtremities(roomID: String) async throws -> Set<String> {
        try await pool.read { db in
            Set(
                try String.fetchAll(
                    db, sql: "SELECT event_id FROM room_forward_extremities WHERE room_id = ?", arguments: [roomID]))
        }
    }

    public func events(_ ids: Set<String>) async throws -> [String: RoomEvent] {
        guard !ids.isEmpty else { return [:] }
        return try await pool.read { db in
            let rows = try Row.fetchAll(
                db, sql: "\(Self.eventColumns) WHERE event_id IN (SELECT value FROM json_each(?))",
                arguments: [Self.idList(ids)])
            var events: [String: RoomEvent] = [:]
            for row in rows {
                let event = try Self.event(row)
                events[event.eventID] = event
            }
            return events
        }
    }

    public func stateAfter(eventID: String) async throws -> RoomStateIDs? {
        try await pool.read { db in
            guard
                let group = try Int64.fetchOne(
                    db, sql: "SELECT state_group FROM room_events WHERE event_id = ?", arguments: [eventID])
            else { return nil }
            return try Self.state(db, group: group)
        }
    }

    public func authChain(of ids: Set<String>) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        return try await pool.read { db in
            Set(
                try String.fetchAll(
                    db,
                    sql: """
                        WITH RECURSIVE chain(id) AS (
                            SELECT event_id FROM room_events WHERE event_id IN (SELECT value FROM json_each(?))
                            UNION
                            SELECT edge.auth_event_id FROM room_event_auth_edges edge JOIN chain ON edge.event_id = chain.id
                        )
                        SELECT chain.id FROM chain JOIN room_events ON room_events.event_id = chain.id
                        """,
                    arguments: [Self.idList(ids)]))
        }
    }

    public func rejectedEvents(among ids: Set<String>) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        return try await pool.read { db in
            Set(
                try String.fetchAll(
                    db,
                    sql: """
                        SELECT event_id FROM room_events
                        WHERE event_id IN (SELECT value FROM json_each(?)) AND rejected_reason IS NOT NULL
                        """,
                    arguments: [Self.idList(ids)]))
        }
    }

    // MARK: - Writing

    static func idList(_ ids: some Collection<String>) -> String {
        encode(.array(ids.map { .string($0) }))
    }

    /// The event an earlier use of the first event's client transaction stored, if any.
    private static func earlierTransactionEvent(_ db: Database, _ update: RoomUpdate) throws -> RoomEvent? {
        guard let first = update.events.first?.event, let txn = first.transaction else { return nil }
        return try Row.fetchOne(
            db,
            sql: """
                \(eventColumns)
                WHERE txn_user_id = ? AND txn_device_id = ? AND txn_id = ? AND room_id = ? AND type = ?
                """,
            arguments: [txn.userID, txn.deviceID, txn.transactionID, first.roomID, first.type]
        ).map(event)
    }

    /// Inserts the update's events with their state; returns them as stored, by event ID order of
    /// the update.
    private static func writeEvents(_ db: Database, _ update: RoomUpdate) throws -> [RoomEvent] {
        var groups: [String: Int64] = [:]
        var stored: [RoomEvent] = []
        for write in update.events {
            var event = write.event
            if let existing = try Row.fetchOne(
                db, sql: "\(eventColumns) WHERE event_id = ?", arguments: [event.eventID]
            ).map(Self.event) {
                guard existing.outlier, !event.outlier else {
                    if let group = try Int64.fetchOne(
                        db, sql: "SELECT state_group FROM room_events WHERE event_id = ?", arguments: [event.eventID])
                    {
                        groups[event.eventID] = group
                    }
                    stored.append(existing)
                    continue
                }
                // An outlier joins the timeline: it takes a new stream position.
                try db.execute(sql: "DELETE FROM room_events WHERE event_id = ?", arguments: [event.eventID])
                try db.execute(
                    sql: "DELETE FROM room_event_auth_edges WHERE event_id = ?", arguments: [event.eventID])
                event.ordering = try insert(db, event, group: nil)
                try db.execute(
                    sql: "UPDATE room_state SET event_ordering = ? WHERE event_ordering = ?",
                    arguments: [event.ordering, existing.ordering])
            } else {
                event.ordering = try insert(db, event, group: nil)
            }
            if let group = try stateGroup(db, update.roomID, write.stateAfter, batch: groups) {
                groups[event.eventID] = group
                try db.execute(
                    sql: "UPDATE room_events SET state_group = ? WHERE ordering = ?",
                    arguments: [group, event.ordering])
            }
            stored.append(event)
        }
        return stored
    }

    private static func insert(_ db: Database, _ event: RoomEvent, group: Int64?) throws -> Int64 {
        try db.execute(
            sql: """
                INSERT INTO room_events (event_id, room_id, type, state_key, sender, content_json, origin_server_ts,
                    txn_user_id, txn_device_id, txn_id, pdu_json, depth, prev_events_json, auth_events_json,
                    outlier, rejected_reason, soft_failed, state_group)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                event.eventID, event.roomID, event.type, event.stateKey, event.sender, encode(event.content),
                event.originServerTS, event.transaction?.userID, event.transaction?.deviceID,
                event.transaction?.transactionID, event.pdu.isEmpty ? nil : encode(event.pdu), event.depth,
                idList(event.prevEvents), idList(event.authEvents), event.outlier, event.rejectedReason,
                event.softFailed, group,
            ])
        let ordering = db.lastInsertedRowID
        for authID in Set(event.authEvents) {
            try db.execute(
                sql: "INSERT OR IGNORE INTO room_event_auth_edges (event_id, auth_event_id) VALUES (?, ?)",
                arguments: [event.eventID, authID])
        }
        return ordering
    }

    /// The snapshot for a state after an event: reused, a delta, or a full copy.
    private static func stateGroup(
        _ db: Database, _ roomID: String, _ stateAfter: RoomStateAfter, batch: [String: Int64]
    ) throws -> Int64? {
        guard case .changed(let baseKind, let changes) = stateAfter else { return nil }
        var base: (id: Int64, chainLength: Int)?
        if case .afterEvent(let eventID) = baseKind {
            let group: Int64?
            if let known = batch[eventID] {
                group = known
            } else {
                group = try Int64.fetchOne(
                    db, sql: "SELECT state_group FROM room_events WHERE event_id = ?", arguments: [eventID])
            }
            guard let group,
                let length = try Int.fetchOne(
                    db, sql: "SELECT chain_length FROM room_state_groups WHERE id = ?", arguments: [group])
            else { throw StoreError.notFound }
            base = (group, length)
        }
        switch try StateGroupLayout.plan(base: base, changes: changes, baseState: { try state(db, group: base!.id) }) {
        case .reuse(let group):
            return group
        case .delta(let previous, let chainLength, let entries):
            try db.execute(
                sql: "INSERT INTO room_state_groups (room_id, prev_group, chain_length) VALUES (?, ?, ?)",
                arguments: [roomID, previous, chainLength])
            let group = db.lastInsertedRowID
            for (key, eventID) in entries { try insertEntry(db, group, key, eventID) }
            return group
        case .full(let state):
            try db.execute(
                sql: "INSERT INTO room_state_groups (room_id, prev_group, chain_length) VALUES (?, NULL, 0)",
                arguments: [roomID])
            let group = db.lastInsertedRowID
            for (key, eventID) in state { try insertEntry(db, group, key, eventID) }
            return group
        }
    }

    private static func insertEntry(_ db: Database, _ group: Int64, _ key: RoomStateKey, _ eventID: String?) throws {
        try db.execute(
            sql: "INSERT INTO room_state_group_entries (group_id, type, state_key, event_id) VALUES (?, ?, ?, ?)",
            arguments: [group, key.type, key.stateKey, eventID])
    }

    /// The full state of a snapshot: its chain's deltas applied oldest first.
    static func state(_ db: Database, group: Int64) throws -> RoomStateIDs {
        let rows = try Row.fetchAll(
            db,
            sql: """
                WITH RECURSIVE chain(id, previous, distance) AS (
                    SELECT id, prev_group, 0 FROM room_state_groups WHERE id = ?
                    UNION ALL
                    SELECT g.id, g.prev_group, chain.distance + 1 FROM room_state_groups g JOIN chain ON g.id = chain.previous
                )
                SELECT chain.distance, e.type, e.state_key, e.event_id
                FROM chain JOIN room_state_group_entries e ON e.group_id = chain.id
                ORDER BY chain.distance DESC
                """,
            arguments: [group])
        var layers: [Int: [RoomStateKey: String?]] = [:]
        for row in rows {
            let distance: Int = row["distance"]
            let eventID: String? = row["event_id"]
            layers[distance, default: [:]][RoomStateKey(row["type"], row["state_key"])] = .some(eventID)
        }
        return StateGroupLayout.apply(layers.keys.sorted(by: >).map { layers[$0]! }, to: [:])
    }

    /// Replaces the forward extremities and applies the current-state changes, with memberships.
    private static func writeExtremitiesAndState(_ db: Database, _ update: RoomUpdate, stored: [RoomEvent]) throws {
        try db.execute(sql: "DELETE FROM room_forward_extremities WHERE room_id = ?", arguments: [update.roomID])
        for eventID in update.extremities {
            try db.execute(
                sql: "INSERT INTO room_forward_extremities (room_id, event_id) VALUES (?, ?)",
                arguments: [update.roomID, eventID])
        }
        let inUpdate = Dictionary(stored.map { ($0.eventID, $0) }, uniquingKeysWith: { first, _ in first })
        for (key, value) in update.currentState.sorted(by: { $0.key < $1.key }) {
            guard let eventID = value else {
                try db.execute(
                    sql: "DELETE FROM room_state WHERE room_id = ? AND type = ? AND state_key = ?",
                    arguments: [update.roomID, key.type, key.stateKey])
                if let change = RoomMembershipRule.removal(of: key) {
                    try setMembership(
                        db, update.roomID, change.userID, change.membership, ordering: stored.last?.ordering)
                }
                continue
            }
            let event: RoomEvent
            if let known = inUpdate[eventID] {
                event = known
            } else if let row = try Row.fetchOne(db, sql: "\(eventColumns) WHERE event_id = ?", arguments: [eventID]) {
                event = try Self.event(row)
            } else {
                throw StoreError.notFound
            }
            try db.execute(
                sql: """
                    INSERT INTO room_state (room_id, type, state_key, event_ordering) VALUES (?, ?, ?, ?)
                    ON CONFLICT (room_id, type, state_key) DO UPDATE SET event_ordering = excluded.event_ordering
                    """,
                arguments: [update.roomID, key.type, key.stateKey, event.ordering])
            if let change = RoomMembershipRule.membershipChange(of: event) {
                try setMembership(db, update.roomID, change.userID, change.membership, ordering: event.ordering)
            }
        }
    }

    private static func setMembership(
        _ db: Database, _ roomID: String, _ userID: String, _ membership: String, ordering: Int64?
    ) throws {
        try db.execute(
            sql: """
                INSERT INTO room_memberships (room_id, user_id, membership, ordering) VALUES (?, ?, ?, ?)
                ON CONFLICT (room_id, user_id)
                DO UPDATE SET membership = excluded.membership, ordering = excluded.ordering
                """,
            arguments: [roomID, userID, membership, ordering ?? 0])
        try appendChange(db, userID: userID, kind: .membership, roomID: roomID, membership: membership)
    }
}
