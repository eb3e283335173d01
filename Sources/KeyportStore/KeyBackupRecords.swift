public import MatrixModel

/// One backup version of a user's room keys, as `GET /room_keys/version` answers it.
public struct KeyBackupVersion: Sendable, Equatable {
    /// Versions are numbered per user from 1, in order of creation; a number is never given twice.
    public var version: Int64
    public var algorithm: String
    /// The client's algorithm-dependent data, kept as it was given.
    public var authData: JSONObject
    /// Counts the changes of the version's keys: it moves whenever they change, and only then.
    public var etag: Int64
    /// The number of sessions the version holds.
    public var count: Int

    public init(version: Int64, algorithm: String, authData: JSONObject, etag: Int64, count: Int) {
        self.version = version
        self.algorithm = algorithm
        self.authData = authData
        self.etag = etag
        self.count = count
    }
}

/// The backed-up key of one megolm session (the spec's `KeyBackupData`): metadata the server
/// compares, and `sessionData`, encrypted by the client, that it never reads.
public struct KeyBackupData: Sendable, Equatable {
    public var firstMessageIndex: Int64
    public var forwardedCount: Int64
    public var isVerified: Bool
    public var sessionData: JSONObject

    public init(firstMessageIndex: Int64, forwardedCount: Int64, isVerified: Bool, sessionData: JSONObject) {
        self.firstMessageIndex = firstMessageIndex
        self.forwardedCount = forwardedCount
        self.isVerified = isVerified
        self.sessionData = sessionData
    }
}

/// A backed-up key with the room and session it belongs to. Room and session IDs are compared by
/// their bytes, as every engine's text columns compare them.
public struct KeyBackupSession: Sendable, Equatable {
    public var roomID: String
    public var sessionID: String
    public var data: KeyBackupData

    public init(roomID: String, sessionID: String, data: KeyBackupData) {
        self.roomID = roomID
        self.sessionID = sessionID
        self.data = data
    }
}

/// Which keys of a version a read or a deletion covers.
public enum KeyBackupScope: Sendable, Equatable {
    case all
    case room(String)
    case session(roomID: String, sessionID: String)
}

/// A version's `etag` and `count` after a change of its keys.
public struct KeyBackupCounts: Sendable, Equatable {
    public var etag: Int64
    public var count: Int

    public init(etag: Int64, count: Int) {
        self.etag = etag
        self.count = count
    }
}

/// What became of an upload of keys.
public enum KeyBackupUploadOutcome: Sendable, Equatable {
    /// The version is the current one: each key was stored or left out as `KeyBackupRule` says.
    case stored(KeyBackupCounts)
    /// The version exists but a later one is current; nothing was stored.
    case notCurrent(current: Int64)
    /// The user has no such version (never created, or deleted); nothing was stored.
    case versionNotFound
    /// The new sessions would take the user past the limit given; nothing was stored.
    case tooManySessions
}
