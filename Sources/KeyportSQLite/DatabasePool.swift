import Foundation

/// An SQLite database in WAL mode, with one writer connection, a few reader connections and one
/// that checkpoints the WAL (``BackgroundCheckpointer``).
///
/// Writes are serialized on the writer; reads run beside them and beside each other, each in a
/// transaction that sees one snapshot of the database from its first read to its end, whatever
/// commits meanwhile. The async entry points run SQLite on the connections' own queues, never on
/// the Swift concurrency pool.
public final class DatabasePool: Sendable {
    /// The database file.
    public let path: String
    private let writer: SerializedDatabase
    private let readers: ReaderPool
    private let checkpointer: BackgroundCheckpointer
    private let started: @Sendable (Bool) -> Void
    private let ended: @Sendable (Bool, Duration) -> Void

    /// Opens (creating if needed) the database at `path` and puts it in WAL mode.
    public init(path: String, configuration: Configuration = Configuration()) throws {
        self.path = path
        started = configuration.transactionStarted
        ended = configuration.transactionEnded
        writer = try SerializedDatabase(
            path: path, readOnly: false, configuration: configuration, label: "keyport.sqlite.writer")
        try writer.sync { db in try Self.setUpWAL(db) }
        let checkpointer = try BackgroundCheckpointer(path: path, configuration: configuration)
        self.checkpointer = checkpointer
        writer.sync { db in db.setWALCommitHook { frames in checkpointer.walGrew(to: frames) } }
        readers = ReaderPool(maximumCount: configuration.maximumReaderCount) { number in
            try SerializedDatabase(
                path: path, readOnly: true, configuration: configuration, label: "keyport.sqlite.reader\(number)")
        }
    }

    /// Runs `body` in a read-only transaction on a reader connection and returns its result.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let start = ContinuousClock.now
        started(false)
        defer { ended(false, ContinuousClock.now - start) }
        let reader = try await readers.take()
        do {
            let value = try await reader.run { db in try db.inTransaction(.deferred) { try body(db) } }
            await readers.giveBack(reader)
            return value
        } catch {
            await readers.giveBack(reader)
            throw error
        }
    }

    /// Runs `body` in a transaction on the writer, after the writes before it: commits if `body`
    /// returns, rolls back if it throws.
    public func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let start = ContinuousClock.now
        started(true)
        defer { ended(true, ContinuousClock.now - start) }
        return try await writer.run { db in try db.inTransaction(.immediate) { try body(db) } }
    }

    /// How many WAL checkpoints the pool's checkpointer has run; the writer runs none.
    public var backgroundCheckpoints: Int { checkpointer.completed }

    /// Runs `body` on the writer outside any transaction, blocking the calling thread: for setting
    /// up, such as migrating, before the pool is shared.
    public func writeWithoutTransaction<T>(_ body: (Database) throws -> T) throws -> T {
        try writer.sync(body)
    }

    private static func setUpWAL(_ db: Database) throws {
        let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
        guard mode == "wal" else {
            throw DatabaseError(
                resultCode: .error, message: "could not turn on WAL mode (journal_mode is \(mode ?? "?"))")
        }
        // A read-only connection cannot create the WAL file, so a reader opened before the first
        // write would fail (SQLITE_CANTOPEN): make sure a WAL file exists, with something in it.
        let walPath = db.path + "-wal"
        let walSize = (try? FileManager.default.attributesOfItem(atPath: walPath)[.size] as? Int) ?? 0
        if walSize == 0 {
            try db.inTransaction(.immediate) {
                try db.execute(
                    sql: "CREATE TABLE keyport_wal_start (id INTEGER PRIMARY KEY); DROP TABLE keyport_wal_start")
            }
        }
    }
}
