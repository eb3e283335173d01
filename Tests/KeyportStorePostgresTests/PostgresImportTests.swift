import Foundation
import KeyportPostgresTestSupport
import KeyportStore
import KeyportStorePostgres
import PostgresNIO
import Testing

/// `PostgresImport` binds every kind of copied value as its PostgreSQL type.
@Suite("PostgresImport", .enabled(if: TestPostgres.isConfigured, Comment(rawValue: TestPostgres.skipMessage)))
struct PostgresImportTests {
    @Test("each kind of value goes in as its type; a rolled-back copy leaves no rows")
    func valueKinds() async throws {
        try await TestPostgres.withDatabase { database in
            let settings = try TestPostgres.settings(database: database)
            let connection = try await PostgresConnection.connect(
                configuration: settings.connectionConfiguration, id: 1, logger: TestPostgres.logger)
            try await connection.query(
                "CREATE TABLE kinds (i BIGINT, r DOUBLE PRECISION, t TEXT, b BYTEA, f BOOLEAN, a TEXT[])",
                logger: TestPostgres.logger)
            let target = try await PostgresImport.connect(settings: settings, logger: TestPostgres.logger)
            try await target.begin()
            try await target.insert(
                TableRows(
                    columns: ["i", "r", "t", "b", "f", "a"],
                    rows: [
                        [
                            .integer(-7), .real(1.5), .text("é\"'"), .blob([0, 255, 1]), .boolean(true),
                            .textArray(["x", "y"]),
                        ],
                        [.null, .null, .null, .null, .null, .textArray([])],
                    ]),
                into: "kinds")
            try await target.commit()
            await target.close()
            let rows = try await connection.query(
                "SELECT i, r, t, b, f, a FROM kinds ORDER BY i NULLS LAST", logger: TestPostgres.logger
            ).collect()
            let first = try rows[0].decode((Int64, Double, String, Data, Bool, [String]).self)
            #expect(first.0 == -7 && first.1 == 1.5 && first.2 == "é\"'" && first.3 == Data([0, 255, 1]))
            #expect(first.4 && first.5 == ["x", "y"])
            let second = try rows[1].decode((Int64?, Double?, String?, Data?, Bool?, [String]).self)
            #expect(second.0 == nil && second.1 == nil && second.2 == nil && second.3 == nil && second.4 == nil)
            #expect(second.5 == [])

            let aborted = try await PostgresImport.connect(settings: settings, logger: TestPostgres.logger)
            try await aborted.begin()
            try await aborted.insert(TableRows(columns: ["i"], rows: [[.integer(1)]]), into: "kinds")
            await aborted.close()
            #expect(try await connection.query("SELECT 1 FROM kinds", logger: TestPostgres.logger).collect().count == 2)
            try await connection.close()
        }
    }
}
