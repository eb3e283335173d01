public import KeyportStore
public import MatrixModel

/// Server-side key backups (`/room_keys`): a user's backup versions and the encrypted room keys in
/// them (https://spec.matrix.org/latest/client-server-api/#server-side-key-backups). The server
/// never reads the keys; it keeps the best key of each session (`KeyBackupRule`), refuses uploads
/// to any version but the current one, and gives each change of a version's keys a new `etag`.
///
/// Versions are strings of the numbers the store hands out; any other text names no version.
/// Every method acts on the caller's own backups only.
public struct KeyBackupService: Sendable {
    let store: any KeyBackupStore
    let limits: KeyBackupLimits

    public init(store: any KeyBackupStore, limits: KeyBackupLimits = KeyBackupLimits()) {
        self.store = store
        self.limits = limits
    }

    /// `POST /room_keys/version`: a new version, which becomes the current one. Any algorithm
    /// name is accepted (the server never reads the keys); `auth_data` is kept as it is given.
    public func createVersion(userID: String, body: JSONObject) async throws -> String {
        let (algorithm, authData) = try KeyBackupBody.versionInfo(body, limits: limits)
        return String(try await store.createBackupVersion(userID: userID, algorithm: algorithm, authData: authData))
    }

    /// `GET /room_keys/version[/{version}]`: the version asked for, or the current one when
    /// `version` is nil; 404 when there is none (deleted versions included).
    public func version(userID: String, version: String?) async throws -> KeyBackupVersion {
        var number: Int64?
        if let version {
            guard let parsed = KeyBackupBody.versionNumber(version) else { throw Self.unknownVersion }
            number = parsed
        }
        guard let found = try await store.backupVersion(userID: userID, version: number) else {
            throw version == nil ? MatrixError.notFound("No current backup version") : Self.unknownVersion
        }
        return found
    }

    /// `PUT /room_keys/version/{version}`: replaces `auth_data`, the only thing that may change.
    /// Checked as Synapse checks, in this order: a `version` in the body must be the path's (400),
    /// the version must exist (404), `algorithm` must be the version's (400).
    public func updateVersion(userID: String, version: String, body: JSONObject) async throws {
        let (algorithm, authData) = try KeyBackupBody.versionInfo(body, limits: limits)
        if let named = try body.optionalString("version"), named != version {
            throw MatrixError.invalidParam("The version in the body does not match the version in the path")
        }
        let stored = try await self.version(userID: userID, version: version)
        guard stored.algorithm.utf8.elementsEqual(algorithm.utf8) else {
            throw MatrixError.invalidParam("The algorithm does not match the backup's algorithm")
        }
        guard try await store.updateBackupAuthData(userID: userID, version: stored.version, authData: authData) else {
            throw Self.unknownVersion
        }
    }

    /// `DELETE /room_keys/version/{version}`: deletes the version and its keys. Deleting a
    /// version deleted before succeeds, as the spec says; one never created is 404.
    public func deleteVersion(userID: String, version: String) async throws {
        guard let number = KeyBackupBody.versionNumber(version),
            try await store.deleteBackupVersion(userID: userID, version: number)
        else { throw Self.unknownVersion }
    }

    static let unknownVersion = MatrixError.notFound("Unknown backup version")
}
