import Foundation
import KeyportPostgresTestSupport
import KeyportStorePort
import KeyportStorePostgres
import KeyportStoreSQLite
import Testing

/// The port's table list against the SQLite schema this Keyport makes.
@Suite("The port's table list")
struct PortPlanTests {
    @Test("every table of the SQLite schema is ported or skipped with a reason, and the list names no other")
    func everyTableDecided() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("keyport.db").path
            _ = try SQLiteStore(path: path)
            let tables = try await SQLiteExport(path: path).tables()
            #expect(
                PortPlan.undecided(among: tables) == [],
                "a table was added to SQLiteMigrations: add it to PortPlan.ported (and PostgresMigrations) or to PortPlan.skipped with the reason"
            )
            let listed = PortPlan.ported.map(\.name) + PortPlan.skipped.keys
            #expect(Set(listed).subtracting(tables).sorted() == [], "PortPlan names tables SQLite does not have")
            #expect(listed.count == Set(listed).count, "a table is listed twice")
            #expect(PortPlan.skipped.values.allSatisfy { !$0.isEmpty })
        }
    }
}

/// The port's table list against the PostgreSQL schema this Keyport makes.
@Suite(
    "The port's table list against PostgreSQL",
    .enabled(if: TestPostgres.isConfigured, Comment(rawValue: TestPostgres.skipMessage)))
struct PortPlanPostgresTests {
    @Test("every PostgreSQL table is filled from SQLite or listed as PostgreSQL-only with a reason")
    func everyPostgresTableDecided() async throws {
        try await TestPostgres.withDatabase { database in
            let target = try await PostgresImport.connect(
                settings: try TestPostgres.settings(database: database), logger: TestPostgres.logger)
            try await target.migrate()
            let tables = try await target.tables()
            await target.close()
            let decided = Set(PortPlan.ported.map(\.name)).union(PortPlan.postgresOnly.keys)
            #expect(
                tables.filter { !decided.contains($0) } == [],
                "a table was added to PostgresMigrations: port it from SQLite or add it to PortPlan.postgresOnly")
            #expect(decided.subtracting(tables).sorted() == [], "PortPlan names tables PostgreSQL does not have")
        }
    }
}
