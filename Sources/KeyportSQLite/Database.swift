import CSQLite

/// One SQLite connection, handed to the closures of ``DatabasePool/read(_:)`` and
/// ``DatabasePool/write(_:)``.
///
/// A connection is used by one thread at a time and never shared: it is opened with
/// `SQLITE_OPEN_NOMUTEX`, and the pool runs each closure on the connection's own queue.
public final class Database {
    let handle: OpaquePointer
    /// The database file.
    public let path: String
    private var statements: [String: Statement] = [:]
    /// Kept alive for SQLite's WAL hook while it is installed (Database+WALHook.swift).
    var walCommitHook: WALCommitHook?

    /// Opens a connection with extended result codes, the busy timeout and foreign keys as
    /// configured, then runs `configuration.prepareDatabase`.
    init(path: String, readOnly: Bool, configuration: Configuration) throws {
        var handle: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK, let handle else {
            let error = DatabaseError(code: code, connection: handle)
            sqlite3_close_v2(handle)
            throw error
        }
        self.handle = handle
        self.path = path
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, configuration.busyTimeoutMilliseconds)
        try execute(sql: "PRAGMA foreign_keys = \(configuration.foreignKeysEnabled ? "ON" : "OFF")")
        try configuration.prepareDatabase(self)
    }

    deinit {
        statements.removeAll()
        // close_v2 waits for any statement still alive elsewhere before it really closes.
        sqlite3_close_v2(handle)
    }

    /// Runs all the statements in `sql`, one after the other, ignoring the rows they return.
    /// Positional `arguments` are consumed in order across the statements; all must be used.
    public func execute(sql: String, arguments: StatementArguments = []) throws {
        var bound = 0
        try sql.withCString { text in
            var next: UnsafePointer<CChar>? = text
            while let current = next, current.pointee != 0 {
                var prepared: OpaquePointer?
                let code = sqlite3_prepare_v2(handle, current, -1, &prepared, &next)
                guard code == SQLITE_OK else { throw DatabaseError(code: code, connection: handle, sql: sql) }
                // Only whitespace or a comment was left.
                guard let prepared else { break }
                let statement = Statement(preparedHandle: prepared)
                try statement.bind(arguments, positionalFrom: &bound)
                defer { sqlite3_reset(prepared) }
                try statement.stepRows { _ in true }
            }
        }
        guard bound == arguments.positional.count else {
            throw DatabaseError(
                resultCode: .range, message: "\(arguments.positional.count) arguments for \(bound) parameters", sql: sql
            )
        }
    }

    /// A prepared statement for `sql` (exactly one statement), kept and reused for the life of the
    /// connection: worth it for SQL run often, with parameters in place of values.
    public func cachedStatement(sql: String) throws -> Statement {
        if let statement = statements[sql] { return statement }
        let statement = try Statement(connection: handle, sql: sql)
        statements[sql] = statement
        return statement
    }

    /// A statement for `sql` prepared for one use.
    func makeStatement(sql: String) throws -> Statement {
        try Statement(connection: handle, sql: sql)
    }

    /// The number of rows the last INSERT, UPDATE or DELETE changed.
    public var changesCount: Int { Int(sqlite3_changes(handle)) }

    /// The rowid of the last row inserted on this connection.
    public var lastInsertedRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Whether a transaction is open.
    public var isInsideTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }
}
