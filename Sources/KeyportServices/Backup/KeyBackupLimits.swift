/// The limits on key backups, beside the server's limit on the size of any request body. Each is
/// far above what a real client sends, so only a broken or hostile client meets them; each bounds
/// what one user can make the server store or do in one transaction.
public struct KeyBackupLimits: Sendable {
    /// Sessions in one upload (413 `M_TOO_LARGE`): bounds the work of one transaction. Clients send
    /// their keys in batches (matrix-rust-sdk 100, matrix-js-sdk 200 a request); at about 700 bytes
    /// a session, the default 1 MiB body holds some 1,500.
    public var sessionsPerUpload = 10_000
    /// Sessions one user may keep in all backup versions not deleted (413 `M_TOO_LARGE`): bounds
    /// the storage of one account. Long-used accounts hold a few hundred thousand keys.
    public var sessionsPerUser = 1_000_000
    /// Bytes of one session's `session_data` as canonical JSON (413 `M_TOO_LARGE`). A
    /// `m.megolm_backup.v1.curve25519-aes-sha2` entry is under 1 KiB; forwarding chains add 46
    /// bytes a hop.
    public var sessionDataBytes = 16 * 1024
    /// Bytes of a version's `auth_data` as canonical JSON (413 `M_TOO_LARGE`): a public key and
    /// signatures, about 150 bytes a signing device.
    public var authDataBytes = 64 * 1024
    /// Bytes of an algorithm name, a room ID or a session ID (400 `M_INVALID_PARAM`): the spec
    /// caps room IDs at 255 bytes, and megolm session IDs are 43 characters.
    public var identifierBytes = 255

    public init() {}
}
