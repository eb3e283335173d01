import Foundation
import KeyportSQLite
public import KeyportStore

/// A Keyport SQLite database opened to be copied elsewhere (`keyport migrate-sqlite-to-postgres`):
/// read-only and on one snapshot, so the copy is of one moment even if a server still writes; never
/// created, never migrated. Rows come in batches ordered by primary key. No Matrix meaning: tables,
/// columns and values.
public final class SQLiteExport: Sendable {
    /// Why a file cannot be exported.
    public enum OpenError: Error, Sendable {
        case missingFile
        /// SQLite cannot open or read it; its message.
        case unreadable(String)
        /// An SQLite database, but no Keyport schema in it.
        case notKeyport
    }

    /// How the database's schema compares with this Keyport's.
    public enum SchemaState: Sendable, Equatable {
        case current
        /// Written by an older Keyport: these migrations have not run on it.
        case behind(missing: [String])
        /// Written by a newer Keyport: it ran migrations this one does not know.
        case ahead(unknown: [String])
    }

    /// Where the next batch of a table starts: after the primary key of the last row read.
    public struct Cursor: Sendable {
        fileprivate let key: [DatabaseValue]
    }

    /// One batch of rows and where the next starts (nil after the last).
    public struct Batch: Sendable {
        public var rows: TableRows
        public var next: Cursor?
    }

    private let snapshot: DatabaseSnapshot

    /// Opens the Keyport database at `path` and takes the snapshot every later read sees.
    public init(path: String) throws(OpenError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw .missingFile
        }
        do {
            snapshot = try DatabaseSnapshot(existingPath: path)
        } catch {
            throw .unreadable(error.message)
        }
    }

    /// The migration this Keyport's schema ends with.
    public static var latestMigration: String { SQLiteMigrations.migrator.identifiers.last ?? "" }

    /// Compares the migrations the database ran with this Keyport's; throws `OpenError.notKeyport`
    /// when it has no record of Keyport's first migration.
    public func schemaState() async throws -> SchemaState {
        let known = SQLiteMigrations.migrator.identifiers
        let applied = try await snapshot.read { db -> Set<String>? in
            guard try Self.tableNames(db).contains(DatabaseMigrator.appliedMigrationsTable) else { return nil }
            return try SQLiteMigrations.migrator.appliedIdentifiers(db)
        }
        guard let applied, let first = known.first, applied.contains(first) else { throw OpenError.notKeyport }
        let unknown = applied.subtracting(known).sorted()
        if !unknown.isEmpty { return .ahead(unknown: unknown) }
        let missing = known.filter { !applied.contains($0) }
        return missing.isEmpty ? .current : .behind(missing: missing)
    }

    /// Keyport's tables, by name: every table but SQLite's own (`sqlite_sequence`, whose marks
    /// `autoincrementHighWaterMarks()` gives).
    public func tables() async throws -> [String] {
        try await snapshot.read { db in try Self.tableNames(db).sorted() }
    }

    /// The columns of a table in declaration order, with their declared types.
    public func columns(of table: String) async throws -> [TableColumn] {
        try await snapshot.read { db in
            try Self.tableInfo(db, table).map { TableColumn(name: $0["name"], type: $0["type"]) }
        }
    }

    public func rowCount(of table: String) async throws -> Int {
        try await snapshot.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(Self.quoted(table))") ?? 0
        }
    }

    /// The highest value each `AUTOINCREMENT` column ever took, by table: SQLite never reuses a
    /// value, even after its rows are deleted, so the copy must not either.
    public func autoincrementHighWaterMarks() async throws -> [String: Int64] {
        try await snapshot.read { db in
            guard try Self.tableNames(db, includingSQLite: true).contains("sqlite_sequence") else { return [:] }
            var marks: [String: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, seq FROM sqlite_sequence") {
                marks[row["name"]] = row["seq"]
            }
            return marks
        }
    }

    /// Up to `limit` rows of a table after `cursor` (from the first row when nil), ordered by
    /// primary key (by rowid for a table without one), every column in declaration order.
    public func rows(of table: String, after cursor: Cursor?, limit: Int) async throws -> Batch {
        precondition(limit > 0)
        return try await snapshot.read { db in
            let info = try Self.tableInfo(db, table)
            let columns: [String] = info.map { $0["name"] }
            // `pk` is a column's position in the primary key, from 1; 0 for other columns.
            let primaryKey = info.compactMap { row -> (position: Int, name: String)? in
                let position: Int = row["pk"]
                return position > 0 ? (position, row["name"]) : nil
            }.sorted { $0.position < $1.position }
            let keys = primaryKey.isEmpty ? ["rowid"] : primaryKey.map { Self.quoted($0.name) }
            let keyList = keys.joined(separator: ", ")
            var sql =
                "SELECT \(keyList), \(columns.map(Self.quoted).joined(separator: ", ")) FROM \(Self.quoted(table))"
            var arguments: [DatabaseValue] = []
            if let cursor {
                sql += " WHERE (\(keyList)) > (\(Array(repeating: "?", count: keys.count).joined(separator: ", ")))"
                arguments = cursor.key
            }
            sql += " ORDER BY \(keyList) LIMIT \(limit)"
            let fetched = try Row.fetchAll(
                db, sql: sql, arguments: StatementArguments(arguments.map { $0 as (any DatabaseValueConvertible)? }))
            let rows = fetched.map { $0.values.dropFirst(keys.count).map(Self.tableValue) }
            let next =
                fetched.count < limit ? nil : fetched.last.map { Cursor(key: Array($0.values.prefix(keys.count))) }
            return Batch(rows: TableRows(columns: columns, rows: rows), next: next)
        }
    }

    private static func tableNames(_ db: Database, includingSQLite: Bool = false) throws -> Set<String> {
        let names = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
        return Set(includingSQLite ? names : names.filter { !$0.hasPrefix("sqlite_") })
    }

    private static func tableInfo(_ db: Database, _ table: String) throws -> [Row] {
        let info = try Row.fetchAll(db, sql: "SELECT name, type, pk FROM pragma_table_info(?)", arguments: [table])
        guard !info.isEmpty else {
            throw DatabaseError(resultCode: .error, message: "no table \(table) in the SQLite database")
        }
        return info
    }

    /// An identifier as SQL text: double-quoted, inner quotes doubled.
    private static func quoted(_ name: String) -> String {
        "\"\(name.replacingOccurrences(of: "\"", with: "\"\""))\""
    }

    private static func tableValue(_ value: DatabaseValue) -> TableValue {
        switch value {
        case .null: .null
        case .integer(let integer): .integer(integer)
        case .double(let double): .real(double)
        case .text(let text): .text(text)
        case .blob(let data): .blob(Array(data))
        }
    }
}

extension Error {
    /// SQLite's own message when the error is SQLite's.
    fileprivate var message: String {
        (self as? DatabaseError)?.message ?? String(describing: self)
    }
}
