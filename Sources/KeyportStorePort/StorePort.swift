public import KeyportProgress
import KeyportStore
public import KeyportStorePostgres
import KeyportStoreSQLite
public import Logging

/// Copies a Keyport SQLite database into an empty PostgreSQL database, as Synapse's
/// `synapse_port_db` does: `keyport migrate-sqlite-to-postgres`. A copy of rows with no Matrix
/// rules: the engines read and write tables (`SQLiteExport`, `PostgresImport`); this decides which
/// tables (`PortPlan`), checks both ends first, and reports progress.
///
/// It refuses, before copying anything, a missing or non-Keyport SQLite file, one whose schema is
/// not this Keyport's latest, a PostgreSQL it cannot reach, and a PostgreSQL database that holds
/// other tables or Keyport data already (it never merges). The copy is one PostgreSQL
/// transaction, with the stream positions moved past every copied row before it commits, and the
/// row counts of both ends compared: a port that fails leaves no rows in PostgreSQL (at most the
/// empty schema, made before the copy, which the next run accepts).
public struct StorePort {
    /// What was copied.
    public struct Summary: Sendable {
        /// Rows copied per table, in the plan's order.
        public var tables: [(name: String, rows: Int)]
        public var totalRows: Int { tables.reduce(0) { $0 + $1.rows } }
    }

    public let sqlitePath: String
    public let postgres: PostgresStore.Settings
    public let logger: Logger
    /// Rows per INSERT. PostgreSQL takes at most 65,535 parameters per statement.
    public var batchSize = 1000

    public init(sqlitePath: String, postgres: PostgresStore.Settings, logger: Logger) {
        self.sqlitePath = sqlitePath
        self.postgres = postgres
        self.logger = logger
    }

    /// Runs the port, counting copied rows on `progress`; throws `PortError`.
    public func run(progress: ProgressReporter) async throws(PortError) -> Summary {
        let source = try openSource()
        do {
            try await checkSource(source)
        } catch let error as PortError {
            throw error
        } catch {
            throw PortError(.sourceNotKeyport, "cannot read \(sqlitePath): \(Self.describe(error))")
        }
        let target = try await connectTarget()
        do throws(PortError) {
            let summary = try await copy(source, into: target, progress: progress)
            await target.close()
            return summary
        } catch {
            await target.close()
            throw error
        }
    }

    private func openSource() throws(PortError) -> SQLiteExport {
        do throws(SQLiteExport.OpenError) {
            return try SQLiteExport(path: sqlitePath)
        } catch {
            switch error {
            case .missingFile: throw PortError(.sourceMissing, "\(sqlitePath) does not exist")
            case .unreadable(let reason):
                throw PortError(.sourceNotKeyport, "\(sqlitePath) is not a Keyport SQLite database (\(reason))")
            case .notKeyport: throw notKeyport
            }
        }
    }

    private var notKeyport: PortError {
        PortError(.sourceNotKeyport, "\(sqlitePath) is an SQLite database, but not a Keyport one")
    }

    private func connectTarget() async throws(PortError) -> PostgresImport {
        do {
            return try await PostgresImport.connect(settings: postgres, logger: logger)
        } catch {
            throw PortError(.cannotConnect, "cannot connect to PostgreSQL \(targetName): \(Self.describe(error))")
        }
    }

    /// The target database as the messages name it.
    private var targetName: String {
        let server =
            switch postgres.endpoint {
            case .tcp(let host, let port): "\(host):\(port)"
            case .unixSocket(let path): path
            }
        return "database \(postgres.database) on \(server) as \(postgres.user)"
    }

    private func copy(
        _ source: SQLiteExport, into target: PostgresImport, progress: ProgressReporter
    ) async throws(PortError) -> Summary {
        let mappings: [TableMapping]
        var counts: [Int] = []
        do {
            try await checkTarget(target)
            mappings = try await compareSchemas(source, target)
            for mapping in mappings { counts.append(try await source.rowCount(of: mapping.table)) }
        } catch let error as PortError {
            throw error
        } catch {
            throw PortError(.copyFailed, "could not compare the two databases: \(Self.describe(error))")
        }
        progress.start(total: counts.reduce(0, +))
        var table = ""
        do {
            try await target.begin()
            for mapping in mappings {
                table = mapping.table
                progress.item = table
                try await copyRows(of: mapping, from: source, into: target, progress: progress)
            }
            table = ""
            try await target.finish(highWaterMarks: try await source.autoincrementHighWaterMarks())
            try await checkCounts(mappings, counts, target)
            try await target.commit()
        } catch let error as PortError {
            progress.interrupt()
            throw error
        } catch {
            progress.interrupt()
            let what = table.isEmpty ? "finishing the copy" : "copying \(table)"
            throw PortError(
                .copyFailed,
                "\(what) failed: \(Self.describe(error)); no rows were written to PostgreSQL (the copy is one "
                    + "transaction)")
        }
        progress.item = nil
        progress.finish()
        return Summary(tables: zip(mappings, counts).map { ($0.table, $1) })
    }

    private func checkSource(_ source: SQLiteExport) async throws {
        let state: SQLiteExport.SchemaState
        do {
            state = try await source.schemaState()
        } catch SQLiteExport.OpenError.notKeyport {
            throw notKeyport
        }
        switch state {
        case .current: break
        case .behind(let missing):
            throw PortError(
                .sourceSchemaBehind,
                "\(sqlitePath) was written by an older Keyport: its schema lacks \(missing.joined(separator: ", ")). "
                    + "Start this Keyport once on it (keyport serve with its database set to this file) to bring it "
                    + "up to date, stop it, then run the port again")
        case .ahead(let unknown):
            throw PortError(
                .sourceSchemaAhead,
                "\(sqlitePath) was written by a newer Keyport (migrations \(unknown.joined(separator: ", ")) are "
                    + "unknown here): port it with that Keyport's migrate-sqlite-to-postgres")
        }
        let undecided = PortPlan.undecided(among: try await source.tables())
        guard undecided.isEmpty else {
            throw PortError(
                .undecidedTables,
                "\(sqlitePath) has tables this Keyport does not know how to port: \(undecided.joined(separator: ", "))")
        }
    }

    /// An empty database, or a Keyport schema without data (a server started once and stopped),
    /// is migrated to the latest schema; anything else is refused.
    private func checkTarget(_ target: PostgresImport) async throws {
        let existing = try await target.tables()
        if !existing.isEmpty, !existing.contains(PostgresImport.migrationsTable) {
            throw PortError(
                .targetNotKeyport,
                "the PostgreSQL \(targetName) holds tables that are not Keyport's (\(Self.list(existing))): "
                    + "port into an empty database (CREATE DATABASE … ENCODING 'UTF8')")
        }
        try await target.migrate()
        let holding = try await target.tablesHoldingData()
        guard holding.isEmpty else {
            throw PortError(
                .targetNotEmpty,
                "the PostgreSQL \(targetName) already holds Keyport data (in \(Self.list(holding))): the port only "
                    + "fills an empty database and never merges; drop and recreate it, or name another")
        }
    }

    private func compareSchemas(_ source: SQLiteExport, _ target: PostgresImport) async throws -> [TableMapping] {
        var mappings: [TableMapping] = []
        var problems: [String] = []
        for table in PortPlan.ported {
            do {
                mappings.append(
                    try TableMapping(
                        table, sqlite: try await source.columns(of: table.name),
                        postgres: try await target.columns(of: table.name)))
            } catch let mismatch as SchemaProblems {
                problems += mismatch.problems
            }
        }
        let destinations = Set(PortPlan.ported.map(\.name)).union(PortPlan.postgresOnly.keys)
        for table in try await target.tables() where !destinations.contains(table) {
            problems.append("\(table): a PostgreSQL table no SQLite table fills (not in PortPlan)")
        }
        guard problems.isEmpty else {
            throw PortError(
                .schemaMismatch,
                "the SQLite and PostgreSQL schemas of this Keyport differ; nothing was copied:\n  "
                    + problems.joined(separator: "\n  "))
        }
        return mappings
    }

    /// Reads the next batch from SQLite while PostgreSQL inserts the current one.
    private func copyRows(
        of mapping: TableMapping, from source: SQLiteExport, into target: PostgresImport, progress: ProgressReporter
    ) async throws {
        let size = max(1, min(batchSize, 65_535 / max(1, mapping.sourceColumns.count)))
        var batch: SQLiteExport.Batch? = try await source.rows(of: mapping.table, after: nil, limit: size)
        while let current = batch {
            async let next = current.next.asyncMap { cursor in
                try await source.rows(of: mapping.table, after: cursor, limit: size)
            }
            try await target.insert(try mapping.convert(current.rows), into: mapping.table)
            progress.advance(by: current.rows.rows.count)
            batch = try await next
        }
    }

    private func checkCounts(_ mappings: [TableMapping], _ counts: [Int], _ target: PostgresImport) async throws {
        for (mapping, count) in zip(mappings, counts) {
            let copied = try await target.rowCount(of: mapping.table)
            guard copied == count else {
                throw PortError(
                    .copyFailed,
                    "\(mapping.table): SQLite has \(count) rows but PostgreSQL ended with \(copied); no rows were "
                        + "written to PostgreSQL (the copy is one transaction)")
            }
        }
    }

    private static func list(_ tables: [String]) -> String {
        tables.count <= 8 ? tables.joined(separator: ", ") : tables.prefix(8).joined(separator: ", ") + ", …"
    }

    private static func describe(_ error: any Error) -> String {
        PostgresImport.describe(error)
    }
}

extension Optional {
    fileprivate func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
