import KeyportSQLite
import Testing

private struct Broken: Error {}

@Suite("Migrations")
struct MigratorTests {
    private var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in try db.execute(sql: "CREATE TABLE a (x)") }
        migrator.registerMigration("v2") { db in try db.execute(sql: "CREATE TABLE b (x)") }
        return migrator
    }

    private func tables(_ pool: DatabasePool) async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        }
    }

    @Test("migrating runs each migration once, and again is a no-op")
    func idempotent() async throws {
        let directory = try TemporaryDirectory()
        let pool = try directory.pool()
        try migrator.migrate(pool)
        // Migrations create tables without IF NOT EXISTS: running one twice would throw.
        try migrator.migrate(pool)
        #expect(try await tables(pool) == ["a", "b", "grdb_migrations"])
        #expect(try pool.writeWithoutTransaction(migrator.appliedIdentifiers) == ["v1", "v2"])
    }

    @Test("a database GRDB migrated continues from the migrations recorded in grdb_migrations")
    func grdbDatabase() async throws {
        let directory = try TemporaryDirectory()
        // What GRDB's DatabaseMigrator left: its table, holding the identifiers it ran, including
        // one this migrator no longer has.
        do {
            let grdbMade = try directory.pool()
            try grdbMade.writeWithoutTransaction { db in
                try db.execute(
                    sql: """
                        CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                        CREATE TABLE a (x);
                        INSERT INTO a (x) VALUES ('kept');
                        INSERT INTO grdb_migrations (identifier) VALUES ('v0-retired'), ('v1');
                        """)
            }
        }
        let pool = try directory.pool()
        try migrator.migrate(pool)
        #expect(try await tables(pool) == ["a", "b", "grdb_migrations"])
        #expect(try pool.writeWithoutTransaction(migrator.appliedIdentifiers) == ["v0-retired", "v1", "v2"])
        #expect(try await pool.read { db in try String.fetchAll(db, sql: "SELECT x FROM a") } == ["kept"])
    }

    @Test("a migration that fails leaves no trace and is not recorded; those before it stay")
    func failure() async throws {
        let directory = try TemporaryDirectory()
        let pool = try directory.pool()
        var failing = migrator
        failing.registerMigration("v3") { db in
            try db.execute(sql: "CREATE TABLE c (x)")
            throw Broken()
        }
        #expect(throws: Broken.self) { try failing.migrate(pool) }
        #expect(try await tables(pool) == ["a", "b", "grdb_migrations"])
        #expect(try pool.writeWithoutTransaction(failing.appliedIdentifiers) == ["v1", "v2"])
    }
}
