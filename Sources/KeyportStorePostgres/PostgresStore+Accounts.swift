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

    static func account(_ row: PostgresRow) throws -> AccountRecord {
        let (userID, hash, isAdmin, createdAt, deactivated) = try row.decode(
            (String, String?, Bool, Int64, Bool).self)
        return AccountRecord(
            userID: userID, passwordHash: hash, isAdmin: isAdmin, createdAt: createdAt, deactivated: deactivated)
    }

    public func account(userID: String) async throws -> AccountRecord? {
        try await read { db in
            try await db.rows(
                """
                SELECT user_id, password_hash, is_admin, created_at, deactivated FROM accounts WHERE user_id = \(userID)
                """
            ).first.map(Self.account)
        }
    }

    public func accounts(offset: Int, limit: Int) async throws -> [AccountRecord] {
        try await read { db in
            try await db.rows(
                """
                SELECT user_id, password_hash, is_admin, created_at, deactivated FROM accounts
                ORDER BY user_id COLLATE "C" LIMIT \(limit) OFFSET \(offset)
                """
            ).map(Self.account)
        }
    }

    public func accountCount() async throws -> Int {
        try await read { db in try await db.value(Int.self, "SELECT COUNT(*)::BIGINT FROM accounts") ?? 0 }
    }

    public func deactivateAccount(userID: String) async throws -> Bool {
        try await write { db in
            guard
                try await db.exists(
                    """
                    UPDATE accounts SET deactivated = TRUE, password_hash = NULL WHERE user_id = \(userID) RETURNING 1
                    """)
            else { return false }
            let devices = try await db.values(
                String.self, "SELECT device_id FROM devices WHERE user_id = \(userID) ORDER BY device_id COLLATE \"C\"")
            for deviceID in devices { try await Self.deleteDevice(db, userID: userID, deviceID: deviceID) }
            if try await db.exists("DELETE FROM cross_signing_keys WHERE user_id = \(userID) RETURNING 1") {
                try await db.execute("DELETE FROM key_signatures WHERE target_user_id = \(userID)")
                try await db.execute("DELETE FROM key_signatures WHERE signer_user_id = \(userID)")
                db.appendChange(userID: userID, kind: .crossSigning)
            }
            // Key backups go too, as Synapse deletes them; the version numbers stay used. Updating
            // the version rows first waits for a backup write under way (it locks them too).
            try await db.execute(
                "UPDATE key_backup_versions SET deleted = TRUE, key_count = 0 WHERE user_id = \(userID)")
            try await db.execute("DELETE FROM key_backup_sessions WHERE user_id = \(userID)")
            return true
        }
    }

    public func setPasswordHash(userID: String, hash: String) async throws -> Bool {
        try await write { db in
            try await db.exists(
                """
                UPDATE accounts SET password_hash = \(hash) WHERE user_id = \(userID) AND NOT deactivated RETURNING 1
                """)
        }
    }

    public func deleteAccessTokens(userID: String, keeping tokenHash: String) async throws -> Int {
        try await write { db in
            try await db.values(
                String.self,
                "DELETE FROM access_tokens WHERE user_id = \(userID) AND token_hash <> \(tokenHash) RETURNING token_hash"
            ).count
        }
    }

    public func accountExists(userIDIgnoringCase userID: String) async throws -> Bool {
        try await read { db in
            try await db.exists("SELECT 1 FROM accounts WHERE user_id_lower = \(userID.lowercased())")
        }
    }

    /// Looked up on every authenticated request: one statement, one round trip.
    public func session(tokenHash: String) async throws -> SessionRecord? {
        try await single(.read) { db in
            try await db.rows("SELECT user_id, device_id FROM access_tokens WHERE token_hash = \(tokenHash)").first.map
            {
                let (userID, deviceID) = try $0.decode((String, String).self)
                return SessionRecord(userID: userID, deviceID: deviceID)
            }
        }
    }
}
