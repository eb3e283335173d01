import KeyportSQLite
public import KeyportStore
public import MatrixModel

extension SQLiteStore: AccountDataStore {
    @discardableResult
    public func setAccountData(userID: String, roomID: String?, type: String, content: JSONObject) async throws
        -> Int64
    {
        try await pool.write { db in
            // A counter row rather than MAX(stream_id): rewriting the newest piece must still move
            // the position on.
            try db.execute(sql: "UPDATE account_data_position SET position = position + 1 WHERE id = 1")
            let position = try Int64.fetchOne(db, sql: "SELECT position FROM account_data_position WHERE id = 1") ?? 0
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO account_data (user_id, room_id, type, content_json, stream_id)
                    VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [userID, roomID ?? "", type, Self.encode(.object(content)), position])
            return position
        }
    }

    public func accountData(userID: String, roomID: String?, type: String) async throws -> JSONObject? {
        try await pool.read { db in
            try String.fetchOne(
                db, sql: "SELECT content_json FROM account_data WHERE user_id = ? AND room_id = ? AND type = ?",
                arguments: [userID, roomID ?? "", type]
            ).map { try Self.decodeObject($0) }
        }
    }

    public func accountDataChanges(userID: String, after: Int64, upTo: Int64) async throws -> [AccountDataRecord] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT room_id, type, content_json, stream_id FROM account_data
                    WHERE user_id = ? AND stream_id > ? AND stream_id <= ? ORDER BY stream_id
                    """,
                arguments: [userID, after, upTo]
            ).map { row in
                let roomID: String = row["room_id"]
                return AccountDataRecord(
                    roomID: roomID.isEmpty ? nil : roomID, type: row["type"],
                    content: try Self.decodeObject(row["content_json"]), streamID: row["stream_id"])
            }
        }
    }

    public func currentAccountDataPosition() async throws -> Int64 {
        try await pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT position FROM account_data_position WHERE id = 1") ?? 0
        }
    }
}
