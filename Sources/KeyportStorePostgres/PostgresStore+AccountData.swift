public import KeyportStore
public import MatrixModel
import PostgresNIO

extension PostgresStore: AccountDataStore {
    @discardableResult
    public func setAccountData(userID: String, roomID: String?, type: String, content: JSONObject) async throws
        -> Int64
    {
        try await write { db in
            try await Self.setAccountData(db, userID: userID, roomID: roomID, type: type, content: content)
        }
    }

    /// The write inside a transaction, with its position taken from the stream's counter row.
    static func setAccountData(
        _ db: PostgresTransaction, userID: String, roomID: String?, type: String, content: JSONObject
    ) async throws -> Int64 {
        let position = try await db.reservePositions(.accountData, count: 1)
        try await db.execute(
            """
            INSERT INTO account_data (user_id, room_id, type, content_json, stream_id)
            VALUES (\(userID), \(roomID ?? ""), \(type), \(encode(.object(content))), \(position))
            ON CONFLICT (user_id, room_id, type)
            DO UPDATE SET content_json = excluded.content_json, stream_id = excluded.stream_id
            """)
        return position
    }

    public func accountData(userID: String, roomID: String?, type: String) async throws -> JSONObject? {
        try await read { db in
            try await db.value(
                String.self,
                """
                SELECT content_json FROM account_data
                WHERE user_id = \(userID) AND room_id = \(roomID ?? "") AND type = \(type)
                """
            ).map { try Self.decodeObject($0) }
        }
    }

    public func accountDataChanges(userID: String, after: Int64, upTo: Int64) async throws -> [AccountDataRecord] {
        try await read { db in
            try await db.rows(
                """
                SELECT room_id, type, content_json, stream_id FROM account_data
                WHERE user_id = \(userID) AND stream_id > \(after) AND stream_id <= \(upTo) ORDER BY stream_id
                """
            ).map { row in
                let (roomID, type, content, streamID) = try row.decode((String, String, String, Int64).self)
                return AccountDataRecord(
                    roomID: roomID.isEmpty ? nil : roomID, type: type, content: try Self.decodeObject(content),
                    streamID: streamID)
            }
        }
    }

    public func currentAccountDataPosition() async throws -> Int64 {
        try await read { db in try await db.currentPosition(.accountData) }
    }
}
