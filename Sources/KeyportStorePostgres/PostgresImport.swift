import Foundation
public import KeyportStore
public import Logging
import PostgresNIO

/// A PostgreSQL database being filled with rows copied from another engine (`keyport
/// migrate-sqlite-to-postgres`), on one connection of its own: connecting fails at once when the
/// server cannot be reached, where a store's pool would keep trying. No Matrix meaning: tables,
/// columns and values, and the engine's own bookkeeping made to agree with the copied rows.
///
/// Use: `connect`, look at `tables()`, `migrate()`, check `tablesHoldingData()`, then `begin()`,
/// `insert` each batch, `finish(highWaterMarks:)` and `commit()`. The whole copy is one
/// transaction, so a port that fails or is interrupted leaves no rows (the schema `migrate()`
/// made stays, empty).
public final class PostgresImport {
    /// The table whose presence marks a Keyport database.
    public static let migrationsTable = "keyport_migrations"

    private let db: PostgresTransaction

    private init(connection: PostgresConnection, logger: Logger) {
        db = PostgresTransaction(connection: connection, logger: logger)
    }

    /// Connects and logs in; throws when the server cannot be reached, refuses the login or has no
    /// such database.
    public static func connect(settings: PostgresStore.Settings, logger: Logger) async throws -> PostgresImport {
        let connection = try await PostgresConnection.connect(
            configuration: settings.connectionConfiguration, id: 1, logger: logger)
        return PostgresImport(connection: connection, logger: logger)
    }

    /// Closes the connection; an open transaction is rolled back.
    public func close() async {
        try? await db.connection.close()
    }

    /// The tables of the database's current schema, by name.
    public func tables() async throws -> [String] {
        try await db.values(
            String.self, "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
    }

    /// Brings the schema up to date, as a store does when it starts.
    public func migrate() async throws {
        try await PostgresMigrations.migrate(db.connection, logger: db.logger)
    }

    /// The tables that hold data: any row, or for the stream counters any position past 0 (a
    /// server ran here and clients may hold its positions). The migration record is not data.
    public func tablesHoldingData() async throws -> [String] {
        var holding: [String] = []
        for table in try await tables() where table != Self.migrationsTable {
            let condition = table == "stream_positions" ? " WHERE position <> 0" : ""
            if try await db.value(
                Bool.self, "SELECT EXISTS (SELECT 1 FROM \(unescaped: quoted(table))\(unescaped: condition))")
                == true
            {
                holding.append(table)
            }
        }
        return holding
    }

    /// The columns of a table in declaration order, with their types as PostgreSQL writes them
    /// (`bigint`, `boolean`, `text`, `text[]`, `bytea`).
    public func columns(of table: String) async throws -> [TableColumn] {
        try await db.rows(
            """
            SELECT a.attname::text, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
            WHERE a.attrelid = to_regclass(\(quoted(table)))::oid AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """
        ).map { row in
            let (name, type) = try row.decode((String, String).self)
            return TableColumn(name: name, type: type)
        }
    }

    public func rowCount(of table: String) async throws -> Int {
        Int(try await db.value(Int64.self, "SELECT COUNT(*) FROM \(unescaped: quoted(table))") ?? 0)
    }

    /// Starts the transaction the copy runs in.
    public func begin() async throws {
        try await db.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
    }

    public func commit() async throws {
        try await db.execute("COMMIT")
    }

    /// Inserts the rows with one multi-row INSERT, every value a bind parameter of the type its
    /// `TableValue` names.
    public func insert(_ batch: TableRows, into table: String) async throws {
        guard !batch.rows.isEmpty else { return }
        let width = batch.columns.count
        precondition(batch.rows.allSatisfy { $0.count == width }, "rows of \(table) do not match its columns")
        var bindings = PostgresBindings(capacity: width * batch.rows.count)
        var tuples: [String] = []
        tuples.reserveCapacity(batch.rows.count)
        for row in batch.rows {
            let first = bindings.count + 1
            tuples.append("(" + (first..<first + width).map { "$\($0)" }.joined(separator: ", ") + ")")
            for value in row { try bindings.append(value) }
        }
        let sql = """
            INSERT INTO \(quoted(table)) (\(batch.columns.map(quoted).joined(separator: ", ")))
            VALUES \(tuples.joined(separator: ", "))
            """
        try await db.execute(PostgresQuery(unsafeSQL: sql, binds: bindings))
    }

    /// Makes the engine's positions agree with the copied rows, so that new writes come after
    /// every copied one: each stream counter and each serial column's sequence is moved to the
    /// highest value in its column, or to `highWaterMarks[table]` (the highest value the source
    /// ever gave out in that table, deleted rows included) when that is higher. Never moves back.
    public func finish(highWaterMarks: [String: Int64]) async throws {
        for counter in StreamCounter.allCases {
            let (table, column) = counter.positionedColumn
            let top = max(try await maximum(table, column), highWaterMarks[table] ?? 0)
            try await db.execute(
                "UPDATE stream_positions SET position = GREATEST(position, \(top)) WHERE stream = \(counter.rawValue)")
        }
        let serials = try await db.rows(
            """
            SELECT table_name::text, column_name::text FROM information_schema.columns
            WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'
            """)
        for serial in serials {
            let (table, column) = try serial.decode((String, String).self)
            let top = max(try await maximum(table, column), highWaterMarks[table] ?? 0)
            guard top > 0 else { continue }
            try await db.execute("SELECT setval(pg_get_serial_sequence(\(quoted(table)), \(column)), \(top))")
        }
    }

    private func maximum(_ table: String, _ column: String) async throws -> Int64 {
        try await db.value(
            Int64.self, "SELECT COALESCE(MAX(\(unescaped: quoted(column))), 0) FROM \(unescaped: quoted(table))") ?? 0
    }

    /// An error in words for the person running the import: the server's message and detail, or
    /// why the connection failed. postgres-nio's own `description` hides both on purpose.
    public static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return String(describing: error) }
        if let message = error.serverInfo?[.message] {
            return error.serverInfo?[.detail].map { "\(message) (\($0))" } ?? message
        }
        return error.underlying.map { String(describing: $0) } ?? String(reflecting: error)
    }

    /// An identifier as SQL text: double-quoted, inner quotes doubled. Names come from the
    /// database's own catalog or the port's table list, never from outside.
    private func quoted(_ name: String) -> String {
        "\"\(name.replacingOccurrences(of: "\"", with: "\"\""))\""
    }
}

extension PostgresBindings {
    /// Binds a copied value as the PostgreSQL type it names; NULL takes its column's type.
    fileprivate mutating func append(_ value: TableValue) throws {
        switch value {
        case .null: appendNull()
        case .integer(let integer): append(integer)
        case .real(let real): append(real)
        case .text(let text): append(text)
        case .blob(let bytes): try append(Data(bytes))
        case .boolean(let flag): append(flag)
        case .textArray(let texts): append(texts)
        }
    }
}
