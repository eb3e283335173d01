import KeyportSQLite
public import KeyportStore
import MatrixModel

extension SQLiteStore: AuthStateStore {
    public func createAuthSession(id: String, now: Int64) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO uia_sessions (session_id, created_at, completed_json) VALUES (?, ?, '[]')",
                arguments: [id, now])
        }
    }

    public func authSessionStages(id: String, notBefore: Int64) async throws -> Set<String>? {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM uia_sessions WHERE created_at < ?", arguments: [notBefore])
            guard
                let json = try String.fetchOne(
                    db, sql: "SELECT completed_json FROM uia_sessions WHERE session_id = ?", arguments: [id])
            else { return nil }
            return Set((try Self.decode(json).arrayValue ?? []).compactMap(\.stringValue))
        }
    }

    public func completeAuthStage(id: String, stage: String) async throws {
        try await pool.write { db in
            guard
                let json = try String.fetchOne(
                    db, sql: "SELECT completed_json FROM uia_sessions WHERE session_id = ?", arguments: [id])
            else { return }
            var stages = Set((try Self.decode(json).arrayValue ?? []).compactMap(\.stringValue))
            stages.insert(stage)
            try db.execute(
                sql: "UPDATE uia_sessions SET completed_json = ? WHERE session_id = ?",
                arguments: [Self.encode(.array(stages.sorted().map { .string($0) })), id])
        }
    }

    public func storeRegistrationNonce(_ nonce: String, now: Int64) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO registration_nonces (nonce, created_at) VALUES (?, ?)",
                arguments: [nonce, now])
        }
    }

    public func consumeRegistrationNonce(_ nonce: String, notBefore: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM registration_nonces WHERE created_at < ?", arguments: [notBefore])
            try db.execute(sql: "DELETE FROM registration_nonces WHERE nonce = ?", arguments: [nonce])
            return db.changesCount > 0
        }
    }
}
