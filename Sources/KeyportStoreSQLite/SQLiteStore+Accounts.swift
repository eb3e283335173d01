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

    static let accountColumns = "SELECT user_id, password_hash, is_admin, created_at, deactivated FROM accounts"

    static func account(_ row: Row) -> AccountRecord {
        AccountRecord(
            userID: row["user_id"], passwordHash: row["password_hash"], isAdmin: row["is_admin"],
            createdAt: row["created_at"], deactivated: row["deactivated"])
    }

    public func account(userID: String) async throws -> AccountRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "\(Self.accountColumns) WHERE user_id = ?", arguments: [userID]).map(Self.account)
        }
    }

    public func accounts(offset: Int, limit: Int) async throws -> [AccountRecord] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "\(Self.accountColumns) ORDER BY user_id LIMIT ? OFFSET ?", arguments: [limit, offset]
            ).map(Self.account)
        }
    }

    public func accountCount() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM accounts") ?? 0 }
    }

    public func deactivateAccount(userID: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE accounts SET deactivated = 1, password_hash = NULL WHERE user_id = ?", arguments: [userID])
            guard db.changesCount > 0 else { return false }
            let devices = try String.fetchAll(
                db, sql: "SELECT device_id FROM devices WHERE user_id = ? ORDER BY device_id", arguments: [userID])
            for deviceID in devices { try Self.deleteDevice(db, userID: userID, deviceID: deviceID) }
            let keys = try String.fetchAll(
                db, sql: "SELECT public_key FROM cross_signing_keys WHERE user_id = ?", arguments: [userID])
            if !keys.isEmpty {
                try db.execute(sql: "DELETE FROM cross_signing_keys WHERE user_id = ?", arguments: [userID])
                try db.execute(sql: "DELETE FROM key_signatures WHERE target_user_id = ?", arguments: [userID])
                try db.execute(sql: "DELETE FROM key_signatures WHERE signer_user_id = ?", arguments: [userID])
                try Self.appendChange(db, userID: userID, kind: .crossSigning)
            }
            // Key backups go too, as Synapse deletes them; the version numbers stay used.
            try db.execute(
                sql: "UPDATE key_backup_versions SET deleted = 1, key_count = 0 WHERE user_id = ?", arguments: [userID])
            try db.execute(sql: "DELETE FROM key_backup_sessions WHERE user_id = ?", arguments: [userID])
            return true
        }
    }

    public func setPasswordHash(userID: String, hash: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE accounts SET password_hash = ? WHERE user_id = ? AND deactivated = 0",
                arguments: [hash, userID])
            return db.changesCount > 0
        }
    }

    public func deleteAccessTokens(userID: String, keeping tokenHash: String) async throws -> Int {
        try await pool.write { db in
            try db.execute(
                sql: "DELETE FROM access_tokens WHERE user_id = ? AND token_hash <> ?", arguments: [userID, tokenHash])
            return db.changesCount
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
