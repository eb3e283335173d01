import KeyportSQLite
public import KeyportStore

extension SQLiteStore: StreamStore {
    public func currentDeviceListPosition() async throws -> Int64 {
        try await pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT MAX(stream_id) FROM device_list_stream") ?? 0
        }
    }

    public func deviceListChanges(from: Int64, to: Int64) async throws -> [DeviceListChange] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT stream_id, user_id, kind, device_id, room_id, membership FROM device_list_stream
                    WHERE stream_id > ? AND stream_id <= ? ORDER BY stream_id
                    """,
                arguments: [from, to]
            ).compactMap { row in
                guard let kind = DeviceListChange.Kind(rawValue: row["kind"]) else { return nil }
                return DeviceListChange(
                    streamID: row["stream_id"], userID: row["user_id"], kind: kind, deviceID: row["device_id"],
                    roomID: row["room_id"], membership: row["membership"])
            }
        }
    }

    public func usersSharingRoom(with userID: String) async throws -> Set<String> {
        try await pool.read { db in
            Set(
                try String.fetchAll(
                    db,
                    sql: """
                        SELECT DISTINCT other.user_id FROM room_memberships mine
                        JOIN room_memberships other ON other.room_id = mine.room_id AND other.membership = 'join'
                        WHERE mine.user_id = ? AND mine.membership = 'join' AND other.user_id != mine.user_id
                        """,
                    arguments: [userID]))
        }
    }

    public func joinedMembers(roomID: String) async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(
                db,
                sql: "SELECT user_id FROM room_memberships WHERE room_id = ? AND membership = 'join' ORDER BY user_id",
                arguments: [roomID])
        }
    }

    /// Whether a membership row is the newest one at or before a position for its (room, user).
    static let newestAtPosition = """
        s.kind = 'membership' AND s.membership = 'join' AND s.stream_id = (
            SELECT MAX(t.stream_id) FROM device_list_stream t
            WHERE t.kind = 'membership' AND t.room_id = s.room_id AND t.user_id = s.user_id AND t.stream_id <= :position)
        """

    public func usersSharingRoom(with userID: String, at position: Int64) async throws -> Set<String> {
        try await pool.read { db in
            // First the rooms the user was joined to at the position, then who else was joined to them.
            Set(
                try String.fetchAll(
                    db,
                    sql: """
                        WITH mine AS (
                            SELECT DISTINCT s.room_id FROM device_list_stream s
                            WHERE s.user_id = :user AND \(Self.newestAtPosition))
                        SELECT DISTINCT s.user_id FROM device_list_stream s JOIN mine ON mine.room_id = s.room_id
                        WHERE s.user_id != :user AND \(Self.newestAtPosition)
                        """,
                    arguments: ["user": userID, "position": position]))
        }
    }

    public func joinedMembers(roomID: String, at position: Int64) async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT s.user_id FROM device_list_stream s
                    WHERE s.room_id = :room AND \(Self.newestAtPosition) ORDER BY s.user_id
                    """,
                arguments: ["room": roomID, "position": position])
        }
    }

    public func setMembership(roomID: String, userID: String, membership: String) async throws -> Int64 {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO room_memberships (room_id, user_id, membership) VALUES (?, ?, ?)
                    ON CONFLICT (room_id, user_id) DO UPDATE SET membership = excluded.membership
                    """,
                arguments: [roomID, userID, membership])
            return try Self.appendChange(db, userID: userID, kind: .membership, roomID: roomID, membership: membership)
        }
    }
}
