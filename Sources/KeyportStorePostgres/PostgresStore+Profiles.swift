public import KeyportStore
import PostgresNIO

extension PostgresStore: ProfileStore {
    public func profile(userID: String) async throws -> Profile? {
        try await read { db in
            try await db.rows("SELECT displayname, avatar_url FROM accounts WHERE user_id = \(userID)").first.map {
                row in
                let (name, avatar) = try row.decode((String?, String?).self)
                return Profile(displayName: name, avatarURL: avatar)
            }
        }
    }

    public func setProfile(userID: String, _ profile: Profile) async throws -> Bool {
        try await write { db in
            try await db.exists(
                """
                UPDATE accounts SET displayname = \(profile.displayName), avatar_url = \(profile.avatarURL)
                WHERE user_id = \(userID) RETURNING 1
                """)
        }
    }
}
