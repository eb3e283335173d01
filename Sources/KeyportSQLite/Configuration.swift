/// How a ``DatabasePool`` opens its connections.
public struct Configuration: Sendable {
    /// How long a statement waits for another connection's lock before it fails with `SQLITE_BUSY`.
    public var busyTimeout: Duration = .seconds(10)
    /// How many reader connections may be open at once; further reads wait for one to be free.
    public var maximumReaderCount = 5
    /// Whether SQLite enforces `FOREIGN KEY` clauses (`PRAGMA foreign_keys`); off is SQLite's default.
    public var foreignKeysEnabled = true
    /// Run on every connection, the writer and each reader, right after it opens: the place for
    /// per-connection PRAGMAs.
    public var prepareDatabase: @Sendable (Database) throws -> Void = { _ in }
    /// Told when a `read` or `write` of the pool starts (`true` for a write) and, with its whole
    /// duration including the wait for a connection, when it ends: for the application's metrics.
    public var transactionStarted: @Sendable (_ isWrite: Bool) -> Void = { _ in }
    public var transactionEnded: @Sendable (_ isWrite: Bool, _ duration: Duration) -> Void = { _, _ in }

    public init() {}

    var busyTimeoutMilliseconds: Int32 {
        let (seconds, attoseconds) = busyTimeout.components
        return Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}
