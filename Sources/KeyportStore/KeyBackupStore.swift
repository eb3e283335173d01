public import MatrixModel

/// Server-side key backups (`/room_keys`): each user's backup versions and the room keys in them.
///
/// Every method touches one user's backups only, and the writes of one user's backups are
/// serialised (a concurrent writer waits, or is run again), so a read-compare-write such as
/// `storeBackupKeys` never loses a better key to a concurrent upload.
public protocol KeyBackupStore: Sendable {
    /// Creates the user's next version (one past the highest ever created, deleted ones included,
    /// so no number is used twice), which becomes the current one; etag 0, no keys. Returns it.
    func createBackupVersion(userID: String, algorithm: String, authData: JSONObject) async throws -> Int64

    /// A version with its etag and count; with `version` nil, the current one (the highest not
    /// deleted). Nil when there is no such version or it was deleted.
    func backupVersion(userID: String, version: Int64?) async throws -> KeyBackupVersion?

    /// Replaces the `auth_data` of a version not deleted (etag and keys unchanged). False when
    /// there is no such version.
    func updateBackupAuthData(userID: String, version: Int64, authData: JSONObject) async throws -> Bool

    /// Deletes a version's keys and marks it deleted (its number stays used). True when the
    /// version exists or existed (deleting it again changes nothing); false when it never did.
    func deleteBackupVersion(userID: String, version: Int64) async throws -> Bool

    /// Stores an upload in one transaction, as long as `version` is the current version: each
    /// session not in the version is added, each one there is replaced when
    /// `KeyBackupRule.replaces` says the upload's key is better, and kept otherwise. The etag
    /// moves once when anything was added or replaced. `.tooManySessions` when the sessions added
    /// would bring the user's keys in all versions not deleted past `maxSessions`. Nothing is
    /// stored unless the outcome is `.stored`. The sessions must be distinct (room and session ID,
    /// by their bytes).
    func storeBackupKeys(userID: String, version: Int64, sessions: [KeyBackupSession], maxSessions: Int)
        async throws -> KeyBackupUploadOutcome

    /// The keys of a version within `scope`, by room then session ID; nil when there is no such
    /// version or it was deleted. Any version not deleted can be read, the current one or not.
    func backupKeys(userID: String, version: Int64, scope: KeyBackupScope) async throws -> [KeyBackupSession]?

    /// Deletes the keys of a version (current or not) within `scope`; the etag moves when a key
    /// was deleted. Nil when there is no such version or it was deleted.
    func deleteBackupKeys(userID: String, version: Int64, scope: KeyBackupScope) async throws -> KeyBackupCounts?
}
