import KeyportSQLite
public import KeyportStore
public import MatrixModel

extension SQLiteStore: RoomStore {
    public func createRoom(roomID: String, version: String, creator: String, now: Int64) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO rooms (room_id, creator, created_at, room_version) VALUES (?, ?, ?, ?)",
                arguments: [roomID, creator, now, version])
            if db.changesCount == 0 { throw StoreError.conflict(roomID) }
        }
    }

    public func roomExists(roomID: String) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM rooms WHERE room_id = ?", arguments: [roomID]) ?? false
        }
    }

    public func roomVersion(roomID: String) async throws -> String? {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT room_version FROM rooms WHERE room_id = ?", arguments: [roomID])
        }
    }

    static let eventColumns = """
        SELECT ordering, event_id, room_id, type, state_key, sender, content_json, origin_server_ts,
            txn_user_id, txn_device_id, txn_id, pdu_json, depth, prev_events_json, auth_events_json, outlier,
            rejected_reason, soft_failed
        FROM room_events
        """

    /// The condition that keeps outliers, rejected and soft-failed events out of the timeline.
    static let inTimeline = "outlier = 0 AND rejected_reason IS NULL AND soft_failed = 0"

    static func event(_ row: Row) throws -> RoomEvent {
        var transaction: ClientTransaction?
        if let user: String = row["txn_user_id"], let device: String = row["txn_device_id"],
            let id: String = row["txn_id"]
        {
            transaction = ClientTransaction(userID: user, deviceID: device, transactionID: id)
        }
        let pdu: String? = row["pdu_json"]
        return RoomEvent(
            eventID: row["event_id"], roomID: row["room_id"], type: row["type"], stateKey: row["state_key"],
            sender: row["sender"], content: try decodeObject(row["content_json"]),
            originServerTS: row["origin_server_ts"], ordering: row["ordering"], transaction: transaction,
            pdu: try pdu.map(decodeObject) ?? [:], depth: row["depth"],
            prevEvents: try decodeStrings(row["prev_events_json"]),
            authEvents: try decodeStrings(row["auth_events_json"]), outlier: row["outlier"],
            rejectedReason: row["rejected_reason"], softFailed: row["soft_failed"])
    }

    static func decodeStrings(_ text: String) throws -> [String] {
        try decode(text).arrayValue?.compactMap(\.stringValue) ?? []
    }

    public func currentState(roomID: String) async throws -> [RoomEvent] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    \(Self.eventColumns) WHERE ordering IN (SELECT event_ordering FROM room_state WHERE room_id = ?)
                    ORDER BY ordering
                    """,
                arguments: [roomID]
            ).map(Self.event)
        }
    }

    public func stateEvent(roomID: String, type: String, stateKey: String) async throws -> RoomEvent? {
        try await pool.read { db in
            try Row.fetchOne(
                db,
                sql: """
                    \(Self.eventColumns) WHERE ordering = (
                        SELECT event_ordering FROM room_state WHERE room_id = ? AND type = ? AND state_key = ?)
                    """,
                arguments: [roomID, type, stateKey]
            ).map(Self.event)
        }
    }

    public func roomEvents(roomID: String, after: Int64, upTo: Int64, limit: Int) async throws -> [RoomEvent] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    \(Self.eventColumns) WHERE room_id = ? AND ordering > ? AND ordering <= ? AND \(Self.inTimeline)
                    ORDER BY ordering DESC LIMIT ?
                    """,
                arguments: [roomID, after, upTo, limit]
            ).map(Self.event).reversed()
        }
    }

    public func timelineEvents(after: Int64, upTo: Int64, limit: Int) async throws -> [RoomEvent] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    \(Self.eventColumns) WHERE ordering > ? AND ordering <= ? AND \(Self.inTimeline)
                    ORDER BY ordering LIMIT ?
                    """,
                arguments: [after, upTo, limit]
            ).map(Self.event)
        }
    }

    public func roomEventsBackwards(roomID: String, before: Int64, limit: Int) async throws -> [RoomEvent] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    \(Self.eventColumns) WHERE room_id = ? AND ordering < ? AND \(Self.inTimeline)
                    ORDER BY ordering DESC LIMIT ?
                    """,
                arguments: [roomID, before, limit]
            ).map(Self.event)
        }
    }

    public func membership(roomID: String, userID: String, at position: Int64) async throws -> String? {
        try await pool.read { db in
            let content = try String.fetchOne(
                db,
                sql: """
                    SELECT content_json FROM room_events
                    WHERE room_id = ? AND type = 'm.room.member' AND state_key = ? AND ordering <= ?
                        AND rejected_reason IS NULL AND soft_failed = 0
                    ORDER BY ordering DESC LIMIT 1
                    """,
                arguments: [roomID, userID, position])
            return try content.map(Self.decodeObject)?["membership"]?.stringValue
        }
    }

    public func currentRoomPosition() async throws -> Int64 {
        try await pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT MAX(ordering) FROM room_events") ?? 0
        }
    }

    public func memberships(userID: String) async throws -> [MembershipRecord] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT room_id, membership, ordering FROM room_memberships WHERE user_id = ? ORDER BY room_id",
                arguments: [userID]
            ).map { row in
                MembershipRecord(roomID: row["room_id"], membership: row["membership"], ordering: row["ordering"])
            }
        }
    }

    public func createAlias(_ alias: String, roomID: String) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO room_aliases (alias, room_id) VALUES (?, ?)", arguments: [alias, roomID])
            if db.changesCount == 0 { throw StoreError.conflict(alias) }
        }
    }

    public func roomID(forAlias alias: String) async throws -> String? {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT room_id FROM room_aliases WHERE alias = ?", arguments: [alias])
        }
    }

    public func saveFilter(userID: String, filter: JSONObject) async throws -> String {
        try await pool.write { db in
            let next =
                (try Int64.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM filters WHERE user_id = ?", arguments: [userID]) ?? 0)
            let filterID = String(next)
            try db.execute(
                sql: "INSERT INTO filters (user_id, filter_id, filter_json) VALUES (?, ?, ?)",
                arguments: [userID, filterID, Self.encode(filter)])
            return filterID
        }
    }

    public func filter(userID: String, filterID: String) async throws -> JSONObject? {
        try await pool.read { db in
            try String.fetchOne(
                db, sql: "SELECT filter_json FROM filters WHERE user_id = ? AND filter_id = ?",
                arguments: [userID, filterID]
            ).map(Self.decodeObject)
        }
    }
}
