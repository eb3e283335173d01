/// Brings a database's schema up to date: runs, in the order registered, each migration the
/// database has not had yet, each in its own transaction with the record that it ran.
///
/// Applied migrations are recorded in `grdb_migrations(identifier TEXT NOT NULL PRIMARY KEY)`, the
/// table GRDB's `DatabaseMigrator` used, so a database that GRDB migrated continues where it left
/// off. Identifiers in the table that no migration here has are left alone.
public struct DatabaseMigrator: Sendable {
    /// The table of applied migration identifiers, named and shaped as GRDB made it.
    public static let appliedMigrationsTable = "grdb_migrations"

    private struct Migration: Sendable {
        var identifier: String
        var migrate: @Sendable (Database) throws -> Void
    }

    private var migrations: [Migration] = []

    public init() {}

    /// The identifiers of the registered migrations, in order: the last is the newest schema.
    public var identifiers: [String] { migrations.map(\.identifier) }

    /// Adds a migration after those already registered. Never edit a migration a release shipped:
    /// databases that ran it will not run it again.
    public mutating func registerMigration(
        _ identifier: String, migrate: @escaping @Sendable (Database) throws -> Void
    ) {
        precondition(!migrations.contains { $0.identifier == identifier }, "duplicate migration \(identifier)")
        migrations.append(Migration(identifier: identifier, migrate: migrate))
    }

    /// Runs the migrations the database has not had. Blocks the calling thread.
    public func migrate(_ pool: DatabasePool) throws {
        try pool.writeWithoutTransaction { db in try migrate(db) }
    }

    /// Runs the migrations the database has not had, on a connection outside any transaction.
    public func migrate(_ db: Database) throws {
        try db.execute(
            sql: "CREATE TABLE IF NOT EXISTS \(Self.appliedMigrationsTable) (identifier TEXT NOT NULL PRIMARY KEY)")
        let applied = try appliedIdentifiers(db)
        for migration in migrations where !applied.contains(migration.identifier) {
            try db.inTransaction(.immediate) {
                try migration.migrate(db)
                try db.execute(
                    sql: "INSERT INTO \(Self.appliedMigrationsTable) (identifier) VALUES (?)",
                    arguments: [migration.identifier])
            }
        }
    }

    /// The identifiers recorded as applied, including any this migrator does not know.
    public func appliedIdentifiers(_ db: Database) throws -> Set<String> {
        Set(try String.fetchAll(db, sql: "SELECT identifier FROM \(Self.appliedMigrationsTable)"))
    }
}
