public import KeyportStore
import PostgresNIO

extension PostgresStore: AuthStateStore {
    public func createAuthSession(id: String, now: Int64) async throws {
        try await write { db in
            try await db.execute(
                """
                INSERT INTO uia_sessions (session_id, created_at, completed) VALUES (\(id), \(now), '{}')
                ON CONFLICT (session_id) DO NOTHING
                """)
        }
    }

    public func authSessionStages(id: String, notBefore: Int64) async throws -> Set<String>? {
        try await write { db in
            try await db.execute("DELETE FROM uia_sessions WHERE created_at < \(notBefore)")
            return try await db.value([String].self, "SELECT completed FROM uia_sessions WHERE session_id = \(id)")
                .map(Set.init)
        }
    }

    public func completeAuthStage(id: String, stage: String) async throws {
        try await write { db in
            try await db.execute(
                """
                UPDATE uia_sessions SET completed = array_append(completed, \(stage))
                WHERE session_id = \(id) AND NOT (\(stage) = ANY(completed))
                """)
        }
    }

    public func storeRegistrationNonce(_ nonce: String, now: Int64) async throws {
        try await write { db in
            try await db.execute(
                "INSERT INTO registration_nonces (nonce, created_at) VALUES (\(nonce), \(now)) ON CONFLICT DO NOTHING")
        }
    }

    public func consumeRegistrationNonce(_ nonce: String, notBefore: Int64) async throws -> Bool {
        try await write { db in
            try await db.execute("DELETE FROM registration_nonces WHERE created_at < \(notBefore)")
            return try await db.exists("DELETE FROM registration_nonces WHERE nonce = \(nonce) RETURNING 1")
        }
    }
}
