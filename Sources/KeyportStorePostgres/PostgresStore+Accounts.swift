public import KeyportStore
import PostgresNIO

extension PostgresStore: AccountStore {
    public func createAccount(_ account: AccountRecord) async throws {
        try await write { db in
            let lower = account.userID.lowercased()
            if try await db.exists("SELECT 1 FROM accounts WHERE user_id_lower = \(lower)") {
                throw StoreError.conflict(account.userID)
            }
            try await db.execute(
                """
                INSERT INTO accounts (user_id, user_id_lower, password_hash, is_admin, created_at)
                VALUES (\(account.userID), \(lower), \(account.passwordHash), \(account.isAdmin), \(account.createdAt))
                """)
        }
    }

    public func account(userID: String) async throws -> AccountRecord? {
        try await read { db in
            try await db.rows(
                "SELECT user_id, password_hash, is_admin, created_at FROM accounts WHERE user_id = \(userID)"
            ).first.map { row in
                let (userID, hash, isAdmin, createdAt) = try row.decode((String, String?, Bool, Int64).self)
                return AccountRecord(userID: userID, passwordHash: hash, isAdmin: isAdmin, createdAt: createdAt)
            }
        }
    }

    public func accountExists(userIDIgnoringCase userID: String) async throws -> Bool {
        try await read { db in
            try await db.exists("SELECT 1 FROM accounts WHERE user_id_lower = \(userID.lowercased())")
        }
    }

    public func session(tokenHash: String) async throws -> SessionRecord? {
        try await read { db in
            try await db.rows("SELECT user_id, device_id FROM access_tokens WHERE token_hash = \(tokenHash)").first.map
            {
                let (userID, deviceID) = try $0.decode((String, String).self)
                return SessionRecord(userID: userID, deviceID: deviceID)
            }
        }
    }
}
