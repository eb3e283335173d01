import KeyportSQLite
public import KeyportStore
public import MatrixModel

/// Key backups. Writes are serialised by SQLite's single writer, so each method's reads and
/// writes see no one else's.
extension SQLiteStore: KeyBackupStore {
    public func createBackupVersion(userID: String, algorithm: String, authData: JSONObject) async throws -> Int64 {
        try await pool.write { db in
            let highest =
                try Int64.fetchOne(
                    db, sql: "SELECT MAX(version) FROM key_backup_versions WHERE user_id = ?", arguments: [userID]) ?? 0
            try db.execute(
                sql:
                    "INSERT INTO key_backup_versions (user_id, version, algorithm, auth_data_json) VALUES (?, ?, ?, ?)",
                arguments: [userID, highest + 1, algorithm, Self.encode(authData)])
            return highest + 1
        }
    }

    public func backupVersion(userID: String, version: Int64?) async throws -> KeyBackupVersion? {
        try await pool.read { db in
            let columns = "version, algorithm, auth_data_json, etag, key_count"
            let row =
                if let version {
                    try Row.fetchOne(
                        db,
                        sql:
                            "SELECT \(columns) FROM key_backup_versions WHERE user_id = ? AND version = ? AND deleted = 0",
                        arguments: [userID, version])
                } else {
                    try Row.fetchOne(
                        db,
                        sql: """
                            SELECT \(columns) FROM key_backup_versions WHERE user_id = ? AND deleted = 0
                            ORDER BY version DESC LIMIT 1
                            """,
                        arguments: [userID])
                }
            return try row.map { row in
                KeyBackupVersion(
                    version: row["version"], algorithm: row["algorithm"],
                    authData: try Self.decodeObject(row["auth_data_json"]), etag: row["etag"], count: row["key_count"])
            }
        }
    }

    public func updateBackupAuthData(userID: String, version: Int64, authData: JSONObject) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql:
                    "UPDATE key_backup_versions SET auth_data_json = ? WHERE user_id = ? AND version = ? AND deleted = 0",
                arguments: [Self.encode(authData), userID, version])
            return db.changesCount > 0
        }
    }

    public func deleteBackupVersion(userID: String, version: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE key_backup_versions SET deleted = 1, key_count = 0 WHERE user_id = ? AND version = ?",
                arguments: [userID, version])
            guard db.changesCount > 0 else { return false }
            try db.execute(
                sql: "DELETE FROM key_backup_sessions WHERE user_id = ? AND version = ?", arguments: [userID, version])
            return true
        }
    }

    public func storeBackupKeys(userID: String, version: Int64, sessions: [KeyBackupSession], maxSessions: Int)
        async throws -> KeyBackupUploadOutcome
    {
        try await pool.write { db in
            let current = try Int64.fetchOne(
                db, sql: "SELECT MAX(version) FROM key_backup_versions WHERE user_id = ? AND deleted = 0",
                arguments: [userID])
            let isLive = try Self.isLive(db, userID: userID, version: version)
            if let refusal = KeyBackupRule.refusal(version: version, versionIsLive: isLive, current: current) {
                return refusal
            }
            let select = try db.cachedStatement(
                sql: """
                    SELECT first_message_index, forwarded_count, is_verified, session_data_json FROM key_backup_sessions
                    WHERE user_id = ? AND version = ? AND room_id = ? AND session_id = ?
                    """)
            let stored = try sessions.map { session in
                try Row.fetchOne(select, arguments: [userID, version, session.roomID, session.sessionID])
                    .map(Self.backupData)
            }
            let plan = KeyBackupRule.plan(sessions, stored: stored)
            let storedSessions =
                try Int.fetchOne(
                    db, sql: "SELECT SUM(key_count) FROM key_backup_versions WHERE user_id = ? AND deleted = 0",
                    arguments: [userID]) ?? 0
            guard plan.fits(storedSessions: storedSessions, maxSessions: maxSessions) else { return .tooManySessions }
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO key_backup_sessions (user_id, version, room_id, session_id, first_message_index,
                        forwarded_count, is_verified, session_data_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for session in plan.inserts {
                let data = session.data
                try insert.execute(arguments: [
                    userID, version, session.roomID, session.sessionID, data.firstMessageIndex, data.forwardedCount,
                    data.isVerified, Self.encode(data.sessionData),
                ])
            }
            let update = try db.cachedStatement(
                sql: """
                    UPDATE key_backup_sessions SET first_message_index = ?, forwarded_count = ?, is_verified = ?,
                        session_data_json = ?
                    WHERE user_id = ? AND version = ? AND room_id = ? AND session_id = ?
                    """)
            for session in plan.updates {
                let data = session.data
                try update.execute(arguments: [
                    data.firstMessageIndex, data.forwardedCount, data.isVerified, Self.encode(data.sessionData), userID,
                    version, session.roomID, session.sessionID,
                ])
            }
            if plan.changesKeys {
                try db.execute(
                    sql: """
                        UPDATE key_backup_versions SET etag = etag + 1, key_count = key_count + ?
                        WHERE user_id = ? AND version = ?
                        """,
                    arguments: [plan.inserts.count, userID, version])
            }
            return .stored(try Self.counts(db, userID: userID, version: version))
        }
    }

    public func backupKeys(userID: String, version: Int64, scope: KeyBackupScope) async throws -> [KeyBackupSession]? {
        try await pool.read { db in
            guard try Self.isLive(db, userID: userID, version: version) else { return nil }
            let (filter, arguments) = Self.filter(userID: userID, version: version, scope: scope)
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT room_id, session_id, first_message_index, forwarded_count, is_verified, session_data_json
                    FROM key_backup_sessions WHERE \(filter) ORDER BY room_id, session_id
                    """,
                arguments: arguments
            ).map { row in
                KeyBackupSession(roomID: row["room_id"], sessionID: row["session_id"], data: try Self.backupData(row))
            }
        }
    }

    public func deleteBackupKeys(userID: String, version: Int64, scope: KeyBackupScope) async throws -> KeyBackupCounts?
    {
        try await pool.write { db in
            guard try Self.isLive(db, userID: userID, version: version) else { return nil }
            let (filter, arguments) = Self.filter(userID: userID, version: version, scope: scope)
            try db.execute(sql: "DELETE FROM key_backup_sessions WHERE \(filter)", arguments: arguments)
            let deleted = db.changesCount
            if deleted > 0 {
                try db.execute(
                    sql: """
                        UPDATE key_backup_versions SET etag = etag + 1, key_count = key_count - ?
                        WHERE user_id = ? AND version = ?
                        """,
                    arguments: [deleted, userID, version])
            }
            return try Self.counts(db, userID: userID, version: version)
        }
    }

    private static func isLive(_ db: Database, userID: String, version: Int64) throws -> Bool {
        try Bool.fetchOne(
            db, sql: "SELECT 1 FROM key_backup_versions WHERE user_id = ? AND version = ? AND deleted = 0",
            arguments: [userID, version]) ?? false
    }

    private static func counts(_ db: Database, userID: String, version: Int64) throws -> KeyBackupCounts {
        let row = try Row.fetchOne(
            db, sql: "SELECT etag, key_count FROM key_backup_versions WHERE user_id = ? AND version = ?",
            arguments: [userID, version])
        guard let row else { throw StoreError.notFound }
        return KeyBackupCounts(etag: row["etag"], count: row["key_count"])
    }

    private static func backupData(_ row: Row) throws -> KeyBackupData {
        KeyBackupData(
            firstMessageIndex: row["first_message_index"], forwardedCount: row["forwarded_count"],
            isVerified: row["is_verified"], sessionData: try decodeObject(row["session_data_json"]))
    }

    /// The WHERE clause and its arguments for the keys of a version within `scope`.
    private static func filter(userID: String, version: Int64, scope: KeyBackupScope) -> (String, StatementArguments) {
        switch scope {
        case .all:
            ("user_id = ? AND version = ?", [userID, version])
        case .room(let roomID):
            ("user_id = ? AND version = ? AND room_id = ?", [userID, version, roomID])
        case .session(let roomID, let sessionID):
            ("user_id = ? AND version = ? AND room_id = ? AND session_id = ?", [userID, version, roomID, sessionID])
        }
    }
}
