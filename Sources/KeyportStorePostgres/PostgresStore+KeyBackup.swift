public import KeyportStore
public import MatrixModel
import PostgresNIO

/// Key backups. Every write takes the user's backup turn (`backupTurn`) and then locks the user's
/// version rows (`lockBackups`), so the writes of one user's backups take turns, as Synapse's
/// per-user upload lock makes them: an upload's read-compare-write of a session cannot interleave
/// with another's and keep the worse key, and a new or deleted version cannot slip in between an
/// upload's version check and its writes.
extension PostgresStore: KeyBackupStore {
    public func createBackupVersion(userID: String, algorithm: String, authData: JSONObject) async throws -> Int64 {
        try await write(turn: Self.backupTurn(userID)) { db in
            // Two first versions created together both insert version 1; the second's unique
            // violation runs it again, when it sees the first.
            try await Self.lockBackups(db, userID: userID)
            let highest =
                try await db.value(
                    Int64.self, "SELECT COALESCE(MAX(version), 0) FROM key_backup_versions WHERE user_id = \(userID)")
                ?? 0
            try await db.execute(
                """
                INSERT INTO key_backup_versions (user_id, version, algorithm, auth_data_json)
                VALUES (\(userID), \(highest + 1), \(algorithm), \(Self.encode(authData)))
                """)
            return highest + 1
        }
    }

    public func backupVersion(userID: String, version: Int64?) async throws -> KeyBackupVersion? {
        try await read { db in
            let columns = "version, algorithm, auth_data_json, etag, key_count"
            let query: PostgresQuery =
                if let version {
                    """
                    SELECT \(unescaped: columns) FROM key_backup_versions
                    WHERE user_id = \(userID) AND version = \(version) AND NOT deleted
                    """
                } else {
                    """
                    SELECT \(unescaped: columns) FROM key_backup_versions WHERE user_id = \(userID) AND NOT deleted
                    ORDER BY version DESC LIMIT 1
                    """
                }
            return try await db.rows(query).first.map { row in
                let (version, algorithm, authData, etag, count) = try row.decode(
                    (Int64, String, String, Int64, Int64).self)
                return KeyBackupVersion(
                    version: version, algorithm: algorithm, authData: try Self.decodeObject(authData), etag: etag,
                    count: Int(count))
            }
        }
    }

    public func updateBackupAuthData(userID: String, version: Int64, authData: JSONObject) async throws -> Bool {
        try await write(turn: Self.backupTurn(userID)) { db in
            try await Self.lockBackups(db, userID: userID)
            return try await db.exists(
                """
                UPDATE key_backup_versions SET auth_data_json = \(Self.encode(authData))
                WHERE user_id = \(userID) AND version = \(version) AND NOT deleted RETURNING 1
                """)
        }
    }

    public func deleteBackupVersion(userID: String, version: Int64) async throws -> Bool {
        try await write(turn: Self.backupTurn(userID)) { db in
            try await Self.lockBackups(db, userID: userID)
            let existed = try await db.exists(
                """
                UPDATE key_backup_versions SET deleted = TRUE, key_count = 0
                WHERE user_id = \(userID) AND version = \(version) RETURNING 1
                """)
            guard existed else { return false }
            try await db.execute(
                "DELETE FROM key_backup_sessions WHERE user_id = \(userID) AND version = \(version)")
            return true
        }
    }

    public func storeBackupKeys(userID: String, version: Int64, sessions: [KeyBackupSession], maxSessions: Int)
        async throws -> KeyBackupUploadOutcome
    {
        try await write(turn: Self.backupTurn(userID)) { db in
            try await Self.storeBackupKeys(
                db, userID: userID, version: version, sessions: sessions, maxSessions: maxSessions)
        }
    }

    /// `storeBackupKeys` inside the caller's transaction.
    static func storeBackupKeys(
        _ db: PostgresTransaction, userID: String, version: Int64, sessions: [KeyBackupSession], maxSessions: Int
    ) async throws -> KeyBackupUploadOutcome {
        try await Self.lockBackups(db, userID: userID)
        let current =
            try await db.value(
                Int64?.self,
                "SELECT MAX(version) FROM key_backup_versions WHERE user_id = \(userID) AND NOT deleted")
            ?? nil
        let isLive = try await Self.isLive(db, userID: userID, version: version)
        if let refusal = KeyBackupRule.refusal(version: version, versionIsLive: isLive, current: current) {
            return refusal
        }
        var stored: [KeyBackupData?] = []
        for session in sessions {
            let row = try await db.rows(
                """
                SELECT first_message_index, forwarded_count, is_verified, session_data_json FROM key_backup_sessions
                WHERE user_id = \(userID) AND version = \(version) AND room_id = \(session.roomID)
                    AND session_id = \(session.sessionID)
                """
            ).first
            stored.append(try row.map(Self.backupData))
        }
        let plan = KeyBackupRule.plan(sessions, stored: stored)
        let storedSessions =
            try await db.value(
                Int64?.self,
                "SELECT SUM(key_count)::BIGINT FROM key_backup_versions WHERE user_id = \(userID) AND NOT deleted")
            ?? nil
        guard plan.fits(storedSessions: Int(storedSessions ?? 0), maxSessions: maxSessions) else {
            return .tooManySessions
        }
        // Plain inserts: were another writer's row there after all, the unique violation runs
        // the upload again rather than counting the session twice.
        for session in plan.inserts {
            let data = session.data
            try await db.execute(
                """
                INSERT INTO key_backup_sessions (user_id, version, room_id, session_id, first_message_index,
                    forwarded_count, is_verified, session_data_json)
                VALUES (\(userID), \(version), \(session.roomID), \(session.sessionID), \(data.firstMessageIndex),
                    \(data.forwardedCount), \(data.isVerified), \(Self.encode(data.sessionData)))
                """)
        }
        for session in plan.updates {
            let data = session.data
            try await db.execute(
                """
                UPDATE key_backup_sessions SET first_message_index = \(data.firstMessageIndex),
                    forwarded_count = \(data.forwardedCount), is_verified = \(data.isVerified),
                    session_data_json = \(Self.encode(data.sessionData))
                WHERE user_id = \(userID) AND version = \(version) AND room_id = \(session.roomID)
                    AND session_id = \(session.sessionID)
                """)
        }
        if plan.changesKeys {
            try await db.execute(
                """
                UPDATE key_backup_versions SET etag = etag + 1, key_count = key_count + \(Int64(plan.inserts.count))
                WHERE user_id = \(userID) AND version = \(version)
                """)
        }
        return .stored(try await Self.counts(db, userID: userID, version: version))
    }

    public func backupKeys(userID: String, version: Int64, scope: KeyBackupScope) async throws -> [KeyBackupSession]? {
        try await read { db in
            guard try await Self.isLive(db, userID: userID, version: version) else { return nil }
            let (roomID, sessionID) = Self.filter(scope)
            // COLLATE "C": by bytes, the order SQLite gives.
            let rows = try await db.rows(
                """
                SELECT first_message_index, forwarded_count, is_verified, session_data_json, room_id, session_id
                FROM key_backup_sessions WHERE user_id = \(userID) AND version = \(version)
                    AND (\(roomID)::TEXT IS NULL OR room_id = \(roomID))
                    AND (\(sessionID)::TEXT IS NULL OR session_id = \(sessionID))
                ORDER BY room_id COLLATE "C", session_id COLLATE "C"
                """)
            return try rows.map { row in
                let (_, _, _, _, roomID, sessionID) = try row.decode((Int64, Int64, Bool, String, String, String).self)
                return KeyBackupSession(roomID: roomID, sessionID: sessionID, data: try Self.backupData(row))
            }
        }
    }

    public func deleteBackupKeys(userID: String, version: Int64, scope: KeyBackupScope) async throws -> KeyBackupCounts?
    {
        try await write(turn: Self.backupTurn(userID)) { db in
            try await Self.lockBackups(db, userID: userID)
            guard try await Self.isLive(db, userID: userID, version: version) else { return nil }
            let (roomID, sessionID) = Self.filter(scope)
            let deleted = try await db.rows(
                """
                DELETE FROM key_backup_sessions WHERE user_id = \(userID) AND version = \(version)
                    AND (\(roomID)::TEXT IS NULL OR room_id = \(roomID))
                    AND (\(sessionID)::TEXT IS NULL OR session_id = \(sessionID))
                RETURNING 1
                """
            ).count
            if deleted > 0 {
                try await db.execute(
                    """
                    UPDATE key_backup_versions SET etag = etag + 1, key_count = key_count - \(Int64(deleted))
                    WHERE user_id = \(userID) AND version = \(version)
                    """)
            }
            return try await Self.counts(db, userID: userID, version: version)
        }
    }

    /// The turn every write of the user's backups takes, so that they run one at a time even at
    /// the stricter isolation levels, where the row lock below alone would fail all but one of
    /// them and send the rest round again.
    private static func backupTurn(_ userID: String) -> String {
        "key-backup:\(userID)"
    }

    /// Locks every version row of the user until the transaction ends. Each write of a user's
    /// backups starts here, so they take turns; statements after the lock see what the writer
    /// before committed (READ COMMITTED), or fail and are run again (stricter levels).
    private static func lockBackups(_ db: PostgresTransaction, userID: String) async throws {
        try await db.execute("SELECT version FROM key_backup_versions WHERE user_id = \(userID) FOR UPDATE")
    }

    private static func isLive(_ db: PostgresTransaction, userID: String, version: Int64) async throws -> Bool {
        try await db.exists(
            "SELECT 1 FROM key_backup_versions WHERE user_id = \(userID) AND version = \(version) AND NOT deleted")
    }

    private static func counts(_ db: PostgresTransaction, userID: String, version: Int64) async throws
        -> KeyBackupCounts
    {
        let row = try await db.rows(
            "SELECT etag, key_count FROM key_backup_versions WHERE user_id = \(userID) AND version = \(version)"
        ).first
        guard let (etag, count) = try row?.decode((Int64, Int64).self) else { throw StoreError.notFound }
        return KeyBackupCounts(etag: etag, count: Int(count))
    }

    /// A key from a row whose first four columns are first_message_index, forwarded_count,
    /// is_verified and session_data_json.
    private static func backupData(_ row: PostgresRow) throws -> KeyBackupData {
        let (firstMessageIndex, forwardedCount, isVerified, sessionData) = try row.decode(
            (Int64, Int64, Bool, String).self)
        return KeyBackupData(
            firstMessageIndex: firstMessageIndex, forwardedCount: forwardedCount, isVerified: isVerified,
            sessionData: try decodeObject(sessionData))
    }

    /// The room and session a scope names, nil for "any"; statements compare a column only with
    /// a value that is not NULL.
    private static func filter(_ scope: KeyBackupScope) -> (roomID: String?, sessionID: String?) {
        switch scope {
        case .all: (nil, nil)
        case .room(let roomID): (roomID, nil)
        case .session(let roomID, let sessionID): (roomID, sessionID)
        }
    }
}
