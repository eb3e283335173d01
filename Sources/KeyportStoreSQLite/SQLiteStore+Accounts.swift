import KeyportSQLite
public import KeyportStore

extension SQLiteStore: AccountStore {
    public func createAccount(_ account: AccountRecord) async throws {
        try await pool.write { db in
            let exists =
                try Bool.fetchOne(
                    db, sql: "SELECT 1 FROM accounts WHERE user_id_lower = ?", arguments: [account.userID.lowercased()])
                ?? false
            if exists { throw StoreError.conflict(account.userID) }
            try db.execute(
                sql: """
                    INSERT INTO accounts (user_id, user_id_lower, password_hash, is_admin, created_at)
                    VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [
                    account.userID, account.userID.lowercased(), account.passwordHash, account.isAdmin,
                    account.createdAt,
                ])
        }
    }

    public func account(userID: String) async throws -> AccountRecord? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT user_id, password_hash, is_admin, created_at FROM accounts WHERE user_id = ?",
                arguments: [userID]
            ).map { row in
                AccountRecord(
                    userID: row["user_id"], passwordHash: row["password_hash"], isAdmin: row["is_admin"],
                    createdAt: row["created_at"])
            }
        }
    }

    public func accountExists(userIDIgnoringCase userID: String) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(
                db, sql: "SELECT 1 FROM accounts WHERE user_id_lower = ?", arguments: [userID.lowercased()])
                ?? false
        }
    }

    public func session(tokenHash: String) async throws -> SessionRecord? {
        try await pool.read { db in
            let statement = try db.cachedStatement(
                sql: "SELECT user_id, device_id FROM access_tokens WHERE token_hash = ?")
            return try Row.fetchOne(statement, arguments: [tokenHash]).map { row in
                SessionRecord(userID: row["user_id"], deviceID: row["device_id"])
            }
        }
    }
}
