import Logging
import PostgresNIO

/// The schema, one migration per released change, recorded in `keyport_migrations`. Never edit a
/// registered migration: add one. Each migration is a list of statements run in one transaction.
///
/// The schema mirrors SQLite's (`SQLiteMigrations`) with PostgreSQL types: BIGINT for integers,
/// BOOLEAN for flags, TEXT for JSON. Stream rows take their positions from `stream_positions`
/// (see `StreamCounter`); BIGSERIAL is used only where no reader pages by the value:
/// `one_time_keys.seq`, an upload order, and `room_state_groups.id`, an identifier.
enum PostgresMigrations {
    struct Migration {
        let name: String
        let statements: [String]
    }

    /// Any fixed number: the key of the session advisory lock held while migrating ("Keyport").
    static let lockKey: Int64 = 0x4B65_7970_6F72_74

    /// Applies every migration not yet recorded, holding the advisory lock on one connection, each
    /// migration in its own transaction with its record.
    static func migrate(_ client: PostgresClient, logger: Logger) async throws {
        try await client.withConnection { connection in try await migrate(connection, logger: logger) }
    }

    /// Applies every migration not yet recorded on `connection`, as `migrate(_:logger:)` does.
    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        let transaction = PostgresTransaction(connection: connection, logger: logger)
        try await transaction.execute("SELECT pg_advisory_lock(\(lockKey))")
        do {
            try await applyPending(transaction)
        } catch {
            _ = try? await transaction.execute("SELECT pg_advisory_unlock(\(lockKey))")
            throw error
        }
        try await transaction.execute("SELECT pg_advisory_unlock(\(lockKey))")
    }

    private static func applyPending(_ transaction: PostgresTransaction) async throws {
        try await transaction.execute(
            "CREATE TABLE IF NOT EXISTS keyport_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)")
        let applied = Set(try await transaction.values(String.self, "SELECT name FROM keyport_migrations"))
        for migration in all where !applied.contains(migration.name) {
            try await transaction.execute("BEGIN")
            do {
                for statement in migration.statements {
                    try await transaction.execute(PostgresQuery(unsafeSQL: statement))
                }
                try await transaction.execute(
                    "INSERT INTO keyport_migrations (name, applied_at) VALUES (\(migration.name), now())")
                try await transaction.execute("COMMIT")
            } catch {
                _ = try? await transaction.execute("ROLLBACK")
                throw PostgresStoreError.migrationFailed(migration.name, error)
            }
            transaction.logger.info("applied migration", metadata: ["migration": "\(migration.name)"])
        }
    }
}
