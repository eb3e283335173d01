import Foundation
import KeyportPostgresTestSupport
import KeyportSQLite
import KeyportStore
import KeyportStoreConformance
import KeyportStorePort
import KeyportStorePostgres
import KeyportStoreSQLite
import Logging
import PostgresNIO
import Testing

/// What the port refuses, with a message saying why and what to do, before writing anything.
@Suite("The port's refusals")
struct PortRefusalTests {
    /// The port's error, or a test failure if it ran.
    private func refusal(_ path: String, to settings: PostgresStore.Settings = nowhere) async -> PortError? {
        do throws(PortError) {
            let summary = try await port(path, to: settings)
            Issue.record("the port ran: \(summary.totalRows) rows")
            return nil
        } catch {
            return error
        }
    }

    /// A current Keyport database at `directory/keyport.db`, changed by `change` with raw SQL.
    private func keyportDatabase(in directory: URL, _ change: String? = nil) async throws -> String {
        let path = directory.appendingPathComponent("keyport.db").path
        let store = try SQLiteStore(path: path)
        try await createAccounts(store, alice)
        if let change {
            try DatabasePool(path: path).writeWithoutTransaction { db in try db.execute(sql: change) }
        }
        return path
    }

    @Test("a missing file")
    func missingFile() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("nothing.db").path
            let error = await refusal(path)
            #expect(error?.code == .sourceMissing)
            #expect(error?.message == "\(path) does not exist")
            #expect(!FileManager.default.fileExists(atPath: path), "the port made no file")
        }
    }

    @Test("a file that is not SQLite, and an SQLite database that is not Keyport's")
    func notKeyport() async throws {
        try await withTemporaryDirectory { directory in
            let text = directory.appendingPathComponent("notes.txt").path
            try Data(String(repeating: "not a database\n", count: 100).utf8).write(to: URL(fileURLWithPath: text))
            let error = await refusal(text)
            #expect(error?.code == .sourceNotKeyport)
            #expect(error?.message == "\(text) is not a Keyport SQLite database (file is not a database)")

            let other = directory.appendingPathComponent("other.db").path
            try DatabasePool(path: other).writeWithoutTransaction { db in try db.execute(sql: "CREATE TABLE t (x)") }
            let otherError = await refusal(other)
            #expect(otherError?.code == .sourceNotKeyport)
            #expect(otherError?.message == "\(other) is an SQLite database, but not a Keyport one")
        }
    }

    @Test("a database an older Keyport wrote: start this one on it first")
    func olderSchema() async throws {
        try await withTemporaryDirectory { directory in
            let latest = SQLiteExport.latestMigration
            let path = try await keyportDatabase(
                in: directory, "DELETE FROM grdb_migrations WHERE identifier = '\(latest)'")
            let error = await refusal(path)
            #expect(error?.code == .sourceSchemaBehind)
            #expect(error?.message.contains("its schema lacks \(latest)") == true)
            #expect(error?.message.contains("Start this Keyport once on it") == true)
        }
    }

    @Test("a database a newer Keyport wrote, and one with a table the port has no decision for")
    func newerSchema() async throws {
        try await withTemporaryDirectory { directory in
            let path = try await keyportDatabase(
                in: directory, "INSERT INTO grdb_migrations (identifier) VALUES ('v99-future')")
            let error = await refusal(path)
            #expect(error?.code == .sourceSchemaAhead)
            #expect(error?.message.contains("migrations v99-future are unknown here") == true)
        }
        try await withTemporaryDirectory { directory in
            let path = try await keyportDatabase(in: directory, "CREATE TABLE destination_leases (destination TEXT)")
            let error = await refusal(path)
            #expect(error?.code == .undecidedTables)
            #expect(error?.message.hasSuffix("does not know how to port: destination_leases") == true)
        }
    }

    @Test("a PostgreSQL that cannot be reached")
    func unreachable() async throws {
        try await withTemporaryDirectory { directory in
            let path = try await keyportDatabase(in: directory)
            let error = await refusal(path, to: nowhere)
            #expect(error?.code == .cannotConnect)
            #expect(
                error?.message.hasPrefix("cannot connect to PostgreSQL database none on 127.0.0.1:1 as nobody: ")
                    == true)
        }
    }
}

/// The refusals that need a PostgreSQL server.
@Suite(
    "The port's refusals on PostgreSQL",
    .enabled(if: TestPostgres.isConfigured, Comment(rawValue: TestPostgres.skipMessage)))
struct PortPostgresRefusalTests {
    private func refusal(_ path: String, to database: String) async throws -> PortError? {
        do {
            _ = try await port(path, to: try TestPostgres.settings(database: database))
            Issue.record("the port ran")
            return nil
        } catch let error as PortError {
            return error
        }
    }

    private func keyportDatabase(in directory: URL) async throws -> String {
        let path = directory.appendingPathComponent("keyport.db").path
        try await PortFixture.fill(try SQLiteStore(path: path))
        return path
    }

    /// The tables of `database` holding data, read without migrating it.
    private func tablesHoldingData(_ database: String) async throws -> [String] {
        let target = try await PostgresImport.connect(
            settings: try TestPostgres.settings(database: database), logger: TestPostgres.logger)
        let holding = try await target.tablesHoldingData()
        await target.close()
        return holding
    }

    @Test("a database that does not exist on the server")
    func noSuchDatabase() async throws {
        try await withTemporaryDirectory { directory in
            let error = try await refusal(try await keyportDatabase(in: directory), to: "keyport_no_such_database")
            #expect(error?.code == .cannotConnect)
            #expect(error?.message.contains("keyport_no_such_database") == true)
        }
    }

    @Test("a database holding Keyport data already is left as it is")
    func notEmpty() async throws {
        try await withTemporaryDirectory { directory in
            let path = try await keyportDatabase(in: directory)
            try await TestPostgres.withStores { stores in
                _ = try await port(path, to: try TestPostgres.settings(database: stores.database))
                let store = try await stores.open()
                try await createAccounts(store, "@new:example.com")
                let error = try await refusal(path, to: stores.database)
                #expect(error?.code == .targetNotEmpty)
                #expect(
                    error?.message.contains("already holds Keyport data (in access_tokens, account_data, accounts,")
                        == true)
                #expect(try await store.accountCount() == PortFixture.localUsers.count + 1, "nothing merged")
            }
        }
    }

    @Test("a database holding another application's tables is not touched")
    func foreignTables() async throws {
        try await withTemporaryDirectory { directory in
            let path = try await keyportDatabase(in: directory)
            try await TestPostgres.withDatabase { database in
                let settings = try TestPostgres.settings(database: database)
                let connection = try await PostgresConnection.connect(
                    configuration: settings.connectionConfiguration, id: 1, logger: TestPostgres.logger)
                try await connection.query("CREATE TABLE devices (id INT PRIMARY KEY)", logger: TestPostgres.logger)
                try await connection.close()
                let error = try await refusal(path, to: database)
                #expect(error?.code == .targetNotKeyport)
                #expect(error?.message.contains("holds tables that are not Keyport's (devices)") == true)
                let target = try await PostgresImport.connect(settings: settings, logger: TestPostgres.logger)
                #expect(try await target.tables() == ["devices"], "no Keyport table was made beside it")
                await target.close()
            }
        }
    }

    @Test("a value that does not fit its PostgreSQL column stops the port, and nothing is written")
    func unconvertibleValue() async throws {
        try await withTemporaryDirectory { directory in
            let path = try await keyportDatabase(in: directory)
            // remote_device_lists is among the last tables copied: many were inserted before it.
            try DatabasePool(path: path).writeWithoutTransaction { db in
                try db.execute(sql: "UPDATE remote_device_lists SET stale = 7")
            }
            try await TestPostgres.withDatabase { database in
                let error = try await refusal(path, to: database)
                #expect(error?.code == .unconvertibleValue)
                #expect(
                    error?.message.hasPrefix("remote_device_lists.stale holds integer(7), which does not fit") == true)
                #expect(try await tablesHoldingData(database) == [])
            }
        }
    }
}
