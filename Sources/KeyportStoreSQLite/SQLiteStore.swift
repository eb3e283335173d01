import Foundation
import KeyportSQLite
import KeyportStore
import MatrixModel

/// The embedded engine: every Keyport store protocol on one SQLite database, through `KeyportSQLite`.
///
/// WAL mode with `synchronous=NORMAL`: a committed transaction survives a process crash, and the
/// writer never blocks readers. Each protocol method runs in one transaction.
public final class SQLiteStore: Sendable {
    let pool: DatabasePool

    /// Opens (creating if needed) the database at `path` and migrates it. `observer` hears of every
    /// transaction (for metrics).
    public init(path: String, observer: TransactionObserver = .none) throws {
        var configuration = Configuration()
        configuration.transactionStarted = { isWrite in observer.began(isWrite ? .write : .read) }
        configuration.transactionEnded = { isWrite, duration in observer.ended(isWrite ? .write : .read, duration) }
        configuration.busyTimeout = .seconds(10)
        configuration.prepareDatabase = { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // A small page cache per connection: the working set is small and the OS caches the file.
            try db.execute(sql: "PRAGMA cache_size = -2048")
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try SQLiteMigrations.migrator.migrate(pool)
    }

    /// Appends to the device-list stream inside the caller's transaction; returns the new position.
    @discardableResult
    static func appendChange(
        _ db: Database, userID: String, kind: DeviceListChange.Kind, deviceID: String? = nil, roomID: String? = nil,
        membership: String? = nil
    ) throws -> Int64 {
        try db.execute(
            sql:
                "INSERT INTO device_list_stream (user_id, kind, device_id, room_id, membership) VALUES (?, ?, ?, ?, ?)",
            arguments: [userID, kind.rawValue, deviceID, roomID, membership])
        return db.lastInsertedRowID
    }

    /// Appends a change a shared rule decided on.
    @discardableResult
    static func appendChange(_ db: Database, _ change: KeyChangeRules.Change) throws -> Int64 {
        try appendChange(db, userID: change.userID, kind: change.kind, deviceID: change.deviceID)
    }
}

/// JSON columns are written and read the one way every engine shares.
extension SQLiteStore: StoredJSON {}
