/// One read-only connection that keeps one read transaction open, so that every read through it
/// sees the database as it was at the first one, whatever other connections commit meanwhile: for
/// reading a whole database consistently over many calls, such as copying it elsewhere.
///
/// The file must exist: it is never created nor written. The transaction ends when the snapshot is
/// released; until then WAL checkpoints cannot pass it, so keep it for one job only.
public final class DatabaseSnapshot: Sendable {
    /// The database file.
    public let path: String
    private let connection: SerializedDatabase

    /// Opens the existing database at `path` and takes the snapshot. Throws SQLite's error when the
    /// file cannot be opened (`SQLITE_CANTOPEN`) or is not a database (`SQLITE_NOTADB`).
    public init(existingPath path: String, configuration: Configuration = Configuration()) throws {
        self.path = path
        connection = try SerializedDatabase(
            path: path, readOnly: true, configuration: configuration, label: "keyport.sqlite.snapshot")
        try connection.sync { db in
            try db.execute(sql: "BEGIN DEFERRED TRANSACTION")
            // SQLite takes the snapshot at the first read, not at BEGIN.
            try db.execute(sql: "SELECT COUNT(*) FROM sqlite_master")
        }
    }

    /// Runs `body` on the snapshot's connection, inside its transaction, and returns its result.
    /// Throws `SQLITE_MISUSE` if SQLite ended the transaction after an earlier error: later reads
    /// would no longer see the same database.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await connection.run { db in
            guard db.isInsideTransaction else {
                throw DatabaseError(resultCode: .misuse, message: "the snapshot's transaction ended after an error")
            }
            return try body(db)
        }
    }
}
