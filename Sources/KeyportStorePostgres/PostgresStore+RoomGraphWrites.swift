import KeyportStore
import MatrixModel
import PostgresNIO

/// The writing half of the room graph: the room's lock, events with their positions and state
/// snapshots, then the extremities and current state.
extension PostgresStore {
    /// Locks the room until the transaction ends, so that the updates of one room, from any
    /// process, take turns and each reads the extremities the one before it left: of two updates
    /// computed from the same extremities, the second finds them moved and fails with a conflict.
    ///
    /// The lock is an UPDATE that changes nothing, not a `SELECT … FOR UPDATE`: a writer at
    /// REPEATABLE READ or SERIALIZABLE that waited on the row then fails with a serialization
    /// failure and runs again on a new snapshot, where after a bare row lock it would read the
    /// extremities of its older snapshot. A room with no row (never created) is locked by an
    /// advisory lock on its ID instead.
    static func lockRoom(_ db: PostgresTransaction, _ roomID: String) async throws {
        let locked = try await db.exists(
            "UPDATE rooms SET room_version = room_version WHERE room_id = \(roomID) RETURNING 1")
        if !locked {
            try await db.execute("SELECT pg_advisory_xact_lock(hashtextextended(\(roomID), 0))")
        }
    }

    /// The event an earlier use of the first event's client transaction stored, if any.
    static func earlierTransactionEvent(_ db: PostgresTransaction, _ update: RoomUpdate) async throws
        -> RoomEvent?
    {
        guard let first = update.events.first?.event, let txn = first.transaction else { return nil }
        return try await db.rows(
            """
            \(unescaped: eventColumns)
            WHERE txn_user_id = \(txn.userID) AND txn_device_id = \(txn.deviceID) AND txn_id = \(txn.transactionID)
                AND room_id = \(first.roomID) AND type = \(first.type)
            """
        ).first.map(event)
    }

    /// What writing one event of an update comes to.
    private enum Step {
        /// Already stored (earlier, or by this update): the stored copy is returned.
        case keep(String)
        /// A new row, or an outlier's row replaced by its timeline copy.
        case insert(RoomEvent, group: Int64?)
    }

    /// Inserts the update's events with their state; returns them as stored, in the update's order.
    ///
    /// Snapshots are written first and positions taken last, so the room-events counter row stays
    /// locked for as short a time as can be; then each inserted event takes the next position, an
    /// outlier joining the timeline included (its row is replaced, as SQLite deletes and inserts it).
    static func writeEvents(_ db: PostgresTransaction, _ update: RoomUpdate) async throws -> [RoomEvent] {
        let earlier = try await storedEvents(db, Set(update.events.map(\.event.eventID)))
        // First what each write comes to, with the snapshots: the newest copy of each event, stored
        // earlier or by this update, decides whether it is written again.
        var newest = earlier.mapValues { (outlier: $0.event.outlier, group: $0.group) }
        var groups: [String: Int64] = [:]
        var steps: [Step] = []
        for write in update.events {
            let event = write.event
            if let copy = newest[event.eventID], !(copy.outlier && !event.outlier) {
                if let group = copy.group { groups[event.eventID] = group }
                steps.append(.keep(event.eventID))
                continue
            }
            let group = try await stateGroup(db, update.roomID, write.stateAfter, batch: groups)
            if let group { groups[event.eventID] = group }
            newest[event.eventID] = (event.outlier, group)
            steps.append(.insert(event, group: group))
        }

        // Then the rows, with their positions.
        let count = steps.count { if case .insert = $0 { true } else { false } }
        var ordering = count > 0 ? try await db.reservePositions(.roomEvents, count: count) : 0
        var rows = earlier.mapValues(\.event)
        var stored: [RoomEvent] = []
        for step in steps {
            switch step {
            case .keep(let eventID):
                guard let event = rows[eventID] else { throw StoreError.notFound }
                stored.append(event)
            case .insert(var event, let group):
                // A row already there is an outlier's, which this timeline copy replaces.
                let replaced = rows[event.eventID]?.ordering
                event.ordering = ordering
                ordering += 1
                try await insert(db, event, group: group, replacing: replaced)
                rows[event.eventID] = event
                stored.append(event)
            }
        }
        return stored
    }

    /// Inserts one event with its auth edges; a stored copy at `replacing` (an outlier) is deleted
    /// first and the current state pointing at it is pointed at the new row.
    private static func insert(
        _ db: PostgresTransaction, _ event: RoomEvent, group: Int64?, replacing: Int64?
    ) async throws {
        if let replacing {
            try await db.execute("DELETE FROM room_events WHERE ordering = \(replacing)")
            try await db.execute("DELETE FROM room_event_auth_edges WHERE event_id = \(event.eventID)")
        }
        try await db.execute(
            """
            INSERT INTO room_events (ordering, event_id, room_id, type, state_key, sender, content_json,
                origin_server_ts, txn_user_id, txn_device_id, txn_id, pdu_json, depth, prev_events_json,
                auth_events_json, outlier, rejected_reason, soft_failed, state_group)
            VALUES (\(event.ordering), \(event.eventID), \(event.roomID), \(event.type), \(event.stateKey),
                \(event.sender), \(encode(event.content)), \(event.originServerTS), \(event.transaction?.userID),
                \(event.transaction?.deviceID), \(event.transaction?.transactionID),
                \(event.pdu.isEmpty ? nil : encode(event.pdu)), \(event.depth), \(idList(event.prevEvents)),
                \(idList(event.authEvents)), \(event.outlier), \(event.rejectedReason), \(event.softFailed), \(group))
            """)
        if !event.authEvents.isEmpty {
            try await db.execute(
                """
                INSERT INTO room_event_auth_edges (event_id, auth_event_id)
                SELECT \(event.eventID), unnest(\(Array(Set(event.authEvents)))::text[])
                ON CONFLICT DO NOTHING
                """)
        }
        if let replacing {
            try await db.execute(
                """
                UPDATE room_state SET event_ordering = \(event.ordering)
                WHERE room_id = \(event.roomID) AND event_ordering = \(replacing)
                """)
        }
    }

    static func idList(_ ids: [String]) -> String {
        encode(.array(ids.map { .string($0) }))
    }

    /// The snapshot for a state after an event: reused, a delta, or a full copy.
    private static func stateGroup(
        _ db: PostgresTransaction, _ roomID: String, _ stateAfter: RoomStateAfter, batch: [String: Int64]
    ) async throws -> Int64? {
        guard case .changed(let baseKind, let changes) = stateAfter else { return nil }
        var base: (id: Int64, chainLength: Int)?
        if case .afterEvent(let eventID) = baseKind {
            let group: Int64?
            if let known = batch[eventID] {
                group = known
            } else {
                group = try await stateGroup(db, of: eventID)
            }
            guard let group,
                let length = try await db.value(
                    Int64.self, "SELECT chain_length FROM room_state_groups WHERE id = \(group)")
            else { throw StoreError.notFound }
            base = (group, Int(length))
        }
        // The layout reads the base state synchronously, and only for a full copy: read it first
        // when one is due.
        var baseState: RoomStateIDs?
        if let base, !changes.isEmpty, StateGroupLayout.needsFullCopy(afterChainLength: base.chainLength) {
            baseState = try await state(db, group: base.id)
        }
        let plan = StateGroupLayout.plan(base: base, changes: changes) {
            guard let baseState else { preconditionFailure("StateGroupLayout read a base state it did not announce") }
            return baseState
        }
        switch plan {
        case .reuse(let group):
            return group
        case .delta(let previous, let chainLength, let entries):
            let group = try await insertGroup(db, roomID, previous: previous, chainLength: chainLength)
            try await insertEntries(db, group, entries)
            return group
        case .full(let state):
            let group = try await insertGroup(db, roomID, previous: nil, chainLength: 0)
            try await insertEntries(db, group, state.mapValues { .some($0) })
            return group
        }
    }

    private static func insertGroup(
        _ db: PostgresTransaction, _ roomID: String, previous: Int64?, chainLength: Int
    ) async throws -> Int64 {
        let id = try await db.value(
            Int64.self,
            """
            INSERT INTO room_state_groups (room_id, prev_group, chain_length)
            VALUES (\(roomID), \(previous), \(Int64(chainLength))) RETURNING id
            """)
        guard let id else { throw StoreError.notFound }
        return id
    }

    /// A snapshot's entries, in two statements at most: the keys set and the keys removed.
    private static func insertEntries(
        _ db: PostgresTransaction, _ group: Int64, _ entries: [RoomStateKey: String?]
    ) async throws {
        let set = entries.compactMap { key, value in value.map { (key: key, eventID: $0) } }
        if !set.isEmpty {
            let types = set.map(\.key.type)
            let stateKeys = set.map(\.key.stateKey)
            let eventIDs = set.map(\.eventID)
            try await db.execute(
                """
                INSERT INTO room_state_group_entries (group_id, type, state_key, event_id)
                SELECT \(group), e.type, e.state_key, e.event_id
                FROM unnest(\(types)::text[], \(stateKeys)::text[], \(eventIDs)::text[]) AS e(type, state_key, event_id)
                """)
        }
        let removed = entries.filter { $0.value == nil }.map(\.key)
        if !removed.isEmpty {
            try await db.execute(
                """
                INSERT INTO room_state_group_entries (group_id, type, state_key, event_id)
                SELECT \(group), e.type, e.state_key, NULL
                FROM unnest(\(removed.map(\.type))::text[], \(removed.map(\.stateKey))::text[]) AS e(type, state_key)
                """)
        }
    }

    /// Replaces the forward extremities and applies the current-state changes, with memberships.
    static func writeExtremitiesAndState(
        _ db: PostgresTransaction, _ update: RoomUpdate, stored: [RoomEvent]
    ) async throws {
        try await db.execute("DELETE FROM room_forward_extremities WHERE room_id = \(update.roomID)")
        if !update.extremities.isEmpty {
            try await db.execute(
                """
                INSERT INTO room_forward_extremities (room_id, event_id)
                SELECT \(update.roomID), unnest(\(Array(update.extremities))::text[])
                """)
        }
        var known = Dictionary(stored.map { ($0.eventID, $0) }, uniquingKeysWith: { first, _ in first })
        let named = Set(update.currentState.values.compactMap { $0 }).subtracting(known.keys)
        for (eventID, copy) in try await storedEvents(db, named) { known[eventID] = copy.event }
        for (key, value) in update.currentState.sorted(by: { $0.key < $1.key }) {
            guard let eventID = value else {
                try await db.execute(
                    """
                    DELETE FROM room_state
                    WHERE room_id = \(update.roomID) AND type = \(key.type) AND state_key = \(key.stateKey)
                    """)
                if let change = RoomMembershipRule.removal(of: key) {
                    try await setMembership(
                        db, update.roomID, change.userID, change.membership, ordering: stored.last?.ordering)
                }
                continue
            }
            guard let event = known[eventID] else { throw StoreError.notFound }
            try await db.execute(
                """
                INSERT INTO room_state (room_id, type, state_key, event_ordering)
                VALUES (\(update.roomID), \(key.type), \(key.stateKey), \(event.ordering))
                ON CONFLICT (room_id, type, state_key) DO UPDATE SET event_ordering = excluded.event_ordering
                """)
            if let change = RoomMembershipRule.membershipChange(of: event) {
                try await setMembership(db, update.roomID, change.userID, change.membership, ordering: event.ordering)
            }
        }
    }

    private static func setMembership(
        _ db: PostgresTransaction, _ roomID: String, _ userID: String, _ membership: String, ordering: Int64?
    ) async throws {
        try await db.execute(
            """
            INSERT INTO room_memberships (room_id, user_id, membership, ordering)
            VALUES (\(roomID), \(userID), \(membership), \(ordering ?? 0))
            ON CONFLICT (room_id, user_id) DO UPDATE SET membership = excluded.membership, ordering = excluded.ordering
            """)
        db.appendChange(userID: userID, kind: .membership, roomID: roomID, membership: membership)
    }
}
