public import KeyportStore
public import MatrixModel
import PostgresNIO

extension PostgresStore: RoomStore {
    public func createRoom(roomID: String, version: String, creator: String, now: Int64) async throws {
        try await write { db in
            let created = try await db.exists(
                """
                INSERT INTO rooms (room_id, creator, created_at) VALUES (\(roomID), \(creator), \(now))
                ON CONFLICT DO NOTHING RETURNING 1
                """)
            if !created { throw StoreError.conflict(roomID) }
        }
    }

    public func roomExists(roomID: String) async throws -> Bool {
        try await read { db in try await db.exists("SELECT 1 FROM rooms WHERE room_id = \(roomID)") }
    }

    public func appendEvents(_ events: [RoomEvent]) async throws -> [RoomEvent] {
        try await write { db in try await Self.appendEvents(db, events) }
    }

    /// `appendEvents` inside the caller's transaction.
    static func appendEvents(_ db: PostgresTransaction, _ events: [RoomEvent]) async throws -> [RoomEvent] {
        if let first = events.first, let txn = first.transaction,
            let existing = try await db.rows(
                """
                \(unescaped: eventColumns)
                WHERE txn_user_id = \(txn.userID) AND txn_device_id = \(txn.deviceID) AND txn_id = \(txn.transactionID)
                    AND room_id = \(first.roomID) AND type = \(first.type)
                """
            ).first
        {
            return [try event(existing)]
        }
        guard !events.isEmpty else { return [] }
        var ordering = try await db.reservePositions(.roomEvents, count: events.count)
        var stored: [RoomEvent] = []
        for var event in events {
            event.ordering = ordering
            ordering += 1
            try await db.execute(
                """
                INSERT INTO room_events (ordering, event_id, room_id, type, state_key, sender, content_json,
                    origin_server_ts, txn_user_id, txn_device_id, txn_id)
                VALUES (\(event.ordering), \(event.eventID), \(event.roomID), \(event.type), \(event.stateKey),
                    \(event.sender), \(encode(event.content)), \(event.originServerTS),
                    \(event.transaction?.userID), \(event.transaction?.deviceID), \(event.transaction?.transactionID))
                """)
            if let stateKey = event.stateKey {
                try await db.execute(
                    """
                    INSERT INTO room_state (room_id, type, state_key, event_ordering)
                    VALUES (\(event.roomID), \(event.type), \(stateKey), \(event.ordering))
                    ON CONFLICT (room_id, type, state_key) DO UPDATE SET event_ordering = excluded.event_ordering
                    """)
                if let (userID, membership) = RoomMembershipRule.membershipChange(of: event) {
                    try await db.execute(
                        """
                        INSERT INTO room_memberships (room_id, user_id, membership, ordering)
                        VALUES (\(event.roomID), \(userID), \(membership), \(event.ordering))
                        ON CONFLICT (room_id, user_id)
                        DO UPDATE SET membership = excluded.membership, ordering = excluded.ordering
                        """)
                    db.appendChange(userID: userID, kind: .membership, roomID: event.roomID, membership: membership)
                }
            }
            stored.append(event)
        }
        return stored
    }

    static let eventColumns = """
        SELECT ordering, event_id, room_id, type, state_key, sender, content_json, origin_server_ts,
            txn_user_id, txn_device_id, txn_id
        FROM room_events
        """

    static func event(_ row: PostgresRow) throws -> RoomEvent {
        let (ordering, eventID, roomID, type, stateKey, sender, content, ts, txnUser, txnDevice, txnID) =
            try row.decode(
                (Int64, String, String, String, String?, String, String, Int64, String?, String?, String?).self)
        var transaction: ClientTransaction?
        if let txnUser, let txnDevice, let txnID {
            transaction = ClientTransaction(userID: txnUser, deviceID: txnDevice, transactionID: txnID)
        }
        return RoomEvent(
            eventID: eventID, roomID: roomID, type: type, stateKey: stateKey, sender: sender,
            content: try decodeObject(content), originServerTS: ts, ordering: ordering, transaction: transaction)
    }

    public func currentState(roomID: String) async throws -> [RoomEvent] {
        try await read { db in
            try await db.rows(
                """
                \(unescaped: Self.eventColumns)
                WHERE ordering IN (SELECT event_ordering FROM room_state WHERE room_id = \(roomID)) ORDER BY ordering
                """
            ).map(Self.event)
        }
    }

    public func stateEvent(roomID: String, type: String, stateKey: String) async throws -> RoomEvent? {
        try await read { db in
            try await db.rows(
                """
                \(unescaped: Self.eventColumns) WHERE ordering = (
                    SELECT event_ordering FROM room_state
                    WHERE room_id = \(roomID) AND type = \(type) AND state_key = \(stateKey))
                """
            ).first.map(Self.event)
        }
    }

    public func roomEvents(roomID: String, after: Int64, upTo: Int64, limit: Int) async throws -> [RoomEvent] {
        try await read { db in
            try await db.rows(
                """
                \(unescaped: Self.eventColumns) WHERE room_id = \(roomID) AND ordering > \(after) AND ordering <= \(upTo)
                ORDER BY ordering DESC LIMIT \(Int64(limit))
                """
            ).map(Self.event).reversed()
        }
    }

    public func roomEventsBackwards(roomID: String, before: Int64, limit: Int) async throws -> [RoomEvent] {
        try await read { db in
            try await db.rows(
                """
                \(unescaped: Self.eventColumns) WHERE room_id = \(roomID) AND ordering < \(before)
                ORDER BY ordering DESC LIMIT \(Int64(limit))
                """
            ).map(Self.event)
        }
    }

    public func membership(roomID: String, userID: String, at position: Int64) async throws -> String? {
        let content = try await read { db in
            try await db.value(
                String.self,
                """
                SELECT content_json FROM room_events
                WHERE room_id = \(roomID) AND type = 'm.room.member' AND state_key = \(userID) AND ordering <= \(position)
                ORDER BY ordering DESC LIMIT 1
                """)
        }
        return try content.map(Self.decodeObject)?["membership"]?.stringValue
    }

    public func currentRoomPosition() async throws -> Int64 {
        try await read { db in try await db.currentPosition(.roomEvents) }
    }

    public func memberships(userID: String) async throws -> [MembershipRecord] {
        try await read { db in
            try await db.rows(
                """
                SELECT room_id, membership, ordering FROM room_memberships WHERE user_id = \(userID) ORDER BY room_id
                """
            ).map { row in
                let (roomID, membership, ordering) = try row.decode((String, String, Int64).self)
                return MembershipRecord(roomID: roomID, membership: membership, ordering: ordering)
            }
        }
    }

    public func createAlias(_ alias: String, roomID: String) async throws {
        try await write { db in
            let created = try await db.exists(
                "INSERT INTO room_aliases (alias, room_id) VALUES (\(alias), \(roomID)) ON CONFLICT DO NOTHING RETURNING 1"
            )
            if !created { throw StoreError.conflict(alias) }
        }
    }

    public func roomID(forAlias alias: String) async throws -> String? {
        try await read { db in
            try await db.value(String.self, "SELECT room_id FROM room_aliases WHERE alias = \(alias)")
        }
    }

    public func saveFilter(userID: String, filter: JSONObject) async throws -> String {
        try await write { db in
            // IDs count up per user; two saves at once both pick the same ID, and the loser's unique
            // violation runs its transaction again.
            let next = try await db.value(Int64.self, "SELECT COUNT(*) FROM filters WHERE user_id = \(userID)") ?? 0
            let filterID = String(next)
            try await db.execute(
                """
                INSERT INTO filters (user_id, filter_id, filter_json) VALUES (\(userID), \(filterID), \(Self.encode(filter)))
                """)
            return filterID
        }
    }

    public func filter(userID: String, filterID: String) async throws -> JSONObject? {
        try await read { db in
            try await db.value(
                String.self, "SELECT filter_json FROM filters WHERE user_id = \(userID) AND filter_id = \(filterID)"
            ).map(Self.decodeObject)
        }
    }
}
