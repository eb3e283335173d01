public import KeyportStore
import PostgresNIO

extension PostgresStore: StreamStore {
    public func currentDeviceListPosition() async throws -> Int64 {
        try await read { db in try await db.currentPosition(.deviceList) }
    }

    public func deviceListChanges(from: Int64, to: Int64) async throws -> [DeviceListChange] {
        try await read { db in
            try await db.rows(
                """
                SELECT stream_id, user_id, kind, device_id, room_id, membership FROM device_list_stream
                WHERE stream_id > \(from) AND stream_id <= \(to) ORDER BY stream_id
                """
            ).compactMap { row in
                let (streamID, userID, kind, deviceID, roomID, membership) = try row.decode(
                    (Int64, String, String, String?, String?, String?).self)
                guard let kind = DeviceListChange.Kind(rawValue: kind) else { return nil }
                return DeviceListChange(
                    streamID: streamID, userID: userID, kind: kind, deviceID: deviceID, roomID: roomID,
                    membership: membership)
            }
        }
    }

    public func usersSharingRoom(with userID: String) async throws -> Set<String> {
        Set(
            try await read { db in
                try await db.values(
                    String.self,
                    """
                    SELECT DISTINCT other.user_id FROM room_memberships mine
                    JOIN room_memberships other ON other.room_id = mine.room_id AND other.membership = 'join'
                    WHERE mine.user_id = \(userID) AND mine.membership = 'join' AND other.user_id != mine.user_id
                    """)
            })
    }

    public func joinedMembers(roomID: String) async throws -> [String] {
        try await read { db in
            try await db.values(
                String.self,
                "SELECT user_id FROM room_memberships WHERE room_id = \(roomID) AND membership = 'join' ORDER BY user_id"
            )
        }
    }

    public func usersSharingRoom(with userID: String, at position: Int64) async throws -> Set<String> {
        // First the rooms the user was joined to at the position, then who else was joined to them:
        // for each (room, user) only the newest membership row at or before the position counts.
        Set(
            try await read { db in
                try await db.values(
                    String.self,
                    """
                    WITH newest AS (
                        SELECT DISTINCT ON (room_id, user_id) room_id, user_id, membership FROM device_list_stream
                        WHERE kind = 'membership' AND stream_id <= \(position)
                        ORDER BY room_id, user_id, stream_id DESC),
                    joined AS (SELECT room_id, user_id FROM newest WHERE membership = 'join'),
                    mine AS (SELECT room_id FROM joined WHERE user_id = \(userID))
                    SELECT DISTINCT joined.user_id FROM joined JOIN mine ON mine.room_id = joined.room_id
                    WHERE joined.user_id != \(userID)
                    """)
            })
    }

    public func joinedMembers(roomID: String, at position: Int64) async throws -> [String] {
        try await read { db in
            try await db.values(
                String.self,
                """
                WITH newest AS (
                    SELECT DISTINCT ON (user_id) user_id, membership FROM device_list_stream
                    WHERE kind = 'membership' AND room_id = \(roomID) AND stream_id <= \(position)
                    ORDER BY user_id, stream_id DESC)
                SELECT user_id FROM newest WHERE membership = 'join' ORDER BY user_id
                """)
        }
    }

    @discardableResult
    public func setMembership(roomID: String, userID: String, membership: String) async throws -> Int64 {
        try await write { db in
            try await db.execute(
                """
                INSERT INTO room_memberships (room_id, user_id, membership) VALUES (\(roomID), \(userID), \(membership))
                ON CONFLICT (room_id, user_id) DO UPDATE SET membership = excluded.membership
                """)
            db.appendChange(userID: userID, kind: .membership, roomID: roomID, membership: membership)
            guard let position = try await db.flushChanges() else { throw StoreError.notFound }
            return position
        }
    }
}
