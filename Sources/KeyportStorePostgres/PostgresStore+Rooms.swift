public import KeyportStore
public import MatrixModel
import PostgresNIO

extension PostgresStore: RoomStore {
    public func createRoom(roomID: String, version: String, creator: String, now: Int64) async throws {
        try await write { db in
            let created = try await db.exists(
                """
                INSERT INTO rooms (room_id, creator, created_at, room_version)
                VALUES (\(roomID), \(creator), \(now), \(version))
                ON CONFLICT DO NOTHING RETURNING 1
                """)
            if !created { throw StoreError.conflict(roomID) }
        }
    }

    public func roomExists(roomID: String) async throws -> Bool {
        try await read { db in try await db.exists("SELECT 1 FROM rooms WHERE room_id = \(roomID)") }
    }

    public func roomVersion(roomID: String) async throws -> String? {
        try await read { db in
            try await db.rows("SELECT room_version FROM rooms WHERE room_id = \(roomID)").first?.decode(String?.self)
                ?? nil
        }
    }

    /// The columns `event(_:)` reads, in its order.
    static let eventColumnList = """
        ordering, event_id, room_id, type, state_key, sender, content_json, origin_server_ts,
            txn_user_id, txn_device_id, txn_id, pdu_json, depth, prev_events_json, auth_events_json, outlier,
            rejected_reason, soft_failed
        """

    static let eventColumns = "SELECT \(eventColumnList) FROM room_events"

    /// The condition that keeps outliers, rejected and soft-failed events out of the timeline.
    static let inTimeline = "NOT outlier AND rejected_reason IS NULL AND NOT soft_failed"

    static func event(_ row: PostgresRow) throws -> RoomEvent {
        let (
            ordering, eventID, roomID, type, stateKey, sender, content, ts, txnUser, txnDevice, txnID, pdu, depth,
            prevEvents, authEvents, outlier, rejectedReason, softFailed
        ) = try row.decode(
            (
                Int64, String, String, String, String?, String, String, Int64, String?, String?, String?, String?,
                Int64, String, String, Bool, String?, Bool
            ).self)
        var transaction: ClientTransaction?
        if let txnUser, let txnDevice, let txnID {
            transaction = ClientTransaction(userID: txnUser, deviceID: txnDevice, transactionID: txnID)
        }
        return RoomEvent(
            eventID: eventID, roomID: roomID, type: type, stateKey: stateKey, sender: sender,
            content: try decodeObject(content), originServerTS: ts, ordering: ordering, transaction: transaction,
            pdu: try pdu.map(decodeObject) ?? [:], depth: depth, prevEvents: try decodeStrings(prevEvents),
            authEvents: try decodeStrings(authEvents), outlier: outlier, rejectedReason: rejectedReason,
            softFailed: softFailed)
    }

    static func decodeStrings(_ text: String) throws -> [String] {
        try decode(text).arrayValue?.compactMap(\.stringValue) ?? []
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
                    AND \(unescaped: Self.inTimeline)
                ORDER BY ordering DESC LIMIT \(Int64(limit))
                """
            ).map(Self.event).reversed()
        }
    }

    public func timelineEvents(after: Int64, upTo: Int64, limit: Int) async throws -> [RoomEvent] {
        try await read { db in
            try await db.rows(
                """
                \(unescaped: Self.eventColumns) WHERE ordering > \(after) AND ordering <= \(upTo)
                    AND \(unescaped: Self.inTimeline)
                ORDER BY ordering LIMIT \(Int64(limit))
                """
            ).map(Self.event)
        }
    }

    public func roomEventsBackwards(roomID: String, before: Int64, limit: Int) async throws -> [RoomEvent] {
        try await read { db in
            try await db.rows(
                """
                \(unescaped: Self.eventColumns) WHERE room_id = \(roomID) AND ordering < \(before)
                    AND \(unescaped: Self.inTimeline)
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
                    AND rejected_reason IS NULL AND NOT soft_failed
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
