import KeyportSQLite
public import KeyportStore

extension SQLiteStore: ProfileStore {
    public func profile(userID: String) async throws -> Profile? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT displayname, avatar_url FROM accounts WHERE user_id = ?", arguments: [userID]
            ).map { row in Profile(displayName: row["displayname"], avatarURL: row["avatar_url"]) }
        }
    }

    public func setProfile(userID: String, _ profile: Profile) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE accounts SET displayname = ?, avatar_url = ? WHERE user_id = ?",
                arguments: [profile.displayName, profile.avatarURL, userID])
            return db.changesCount > 0
        }
    }
}
