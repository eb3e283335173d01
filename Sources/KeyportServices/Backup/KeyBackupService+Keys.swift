public import KeyportStore
public import MatrixModel

extension KeyBackupService {
    /// `PUT /room_keys/keys[/{roomId}[/{sessionId}]]`: stores the keys `body` holds for `scope`,
    /// each only when it is better than the stored one, and answers the version's etag and count.
    /// 403 `M_WRONG_ROOM_KEYS_VERSION` (with `current_version`) when `version` exists but is not
    /// the current version, 404 when it does not exist or was deleted.
    public func uploadKeys(userID: String, version: String?, scope: KeyBackupScope, body: JSONObject) async throws
        -> KeyBackupCounts
    {
        let version = try KeyBackupBody.requiredVersion(version)
        let sessions = try KeyBackupBody.sessions(body, scope: scope, limits: limits)
        guard let number = KeyBackupBody.versionNumber(version) else { throw Self.unknownVersion }
        let outcome = try await store.storeBackupKeys(
            userID: userID, version: number, sessions: sessions, maxSessions: limits.sessionsPerUser)
        switch outcome {
        case .stored(let counts):
            return counts
        case .notCurrent(let current):
            throw MatrixError(
                status: 403, errcode: "M_WRONG_ROOM_KEYS_VERSION", "Wrong backup version.",
                extra: ["current_version": .string(String(current))])
        case .versionNotFound:
            throw Self.unknownVersion
        case .tooManySessions:
            throw MatrixError.tooLarge("A user may keep at most \(limits.sessionsPerUser) sessions in key backups")
        }
    }

    /// `GET /room_keys/keys[/{roomId}[/{sessionId}]]`: the keys of any version not deleted
    /// within `scope` (404 for an unknown version); a session not backed up is 404 too.
    public func keys(userID: String, version: String?, scope: KeyBackupScope) async throws -> [KeyBackupSession] {
        let version = try KeyBackupBody.requiredVersion(version)
        guard let number = KeyBackupBody.versionNumber(version),
            let sessions = try await store.backupKeys(userID: userID, version: number, scope: scope)
        else { throw Self.unknownVersion }
        if case .session = scope, sessions.isEmpty { throw MatrixError.notFound("No room_keys found") }
        return sessions
    }

    /// `DELETE /room_keys/keys[/{roomId}[/{sessionId}]]`: deletes the keys within `scope` from any
    /// version not deleted and answers its etag and count (the etag moves only when a key went).
    public func deleteKeys(userID: String, version: String?, scope: KeyBackupScope) async throws -> KeyBackupCounts {
        let version = try KeyBackupBody.requiredVersion(version)
        guard let number = KeyBackupBody.versionNumber(version),
            let counts = try await store.deleteBackupKeys(userID: userID, version: number, scope: scope)
        else { throw Self.unknownVersion }
        return counts
    }
}
