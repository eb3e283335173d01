import KeyportPostgresTestSupport
import KeyportStore
import KeyportStoreConformance
import KeyportStorePostgres
import Testing

/// Runs the store conformance suite against `PostgresStore` on a real PostgreSQL, each check on a
/// database of its own. Without `KEYPORT_TEST_POSTGRES` these are skipped, except in CI.
@Suite(
    "PostgresStore conformance", .enabled(if: TestPostgres.isConfigured, Comment(rawValue: TestPostgres.skipMessage)))
struct PostgresConformanceTests {
    @Test(arguments: StoreConformance.checks)
    func conformance(check: StoreCheck) async throws {
        try await TestPostgres.withStores { stores in
            try await check.run { try await stores.open() }
        }
    }

    @Test("data survives closing the pool and opening another")
    func reopen() async throws {
        try await TestPostgres.withStores { stores in
            try await StoreConformance.dataSurvivesReopening {
                let store = try await stores.open()
                try await store.prepare()
                return store
            }
        }
    }

    @Test("several stores starting together migrate once")
    func concurrentMigration() async throws {
        try await TestPostgres.withStores { stores in
            let opened = try await withThrowingTaskGroup(of: PostgresStore.self) { group in
                for _ in 0..<6 { group.addTask { try await stores.open(maximumConnections: 2) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for store in opened { group.addTask { try await store.prepare() } }
                try await group.waitForAll()
            }
            try await createAccounts(opened[0], alice)
            #expect(try await opened[5].accountExists(userIDIgnoringCase: alice))
        }
    }
}

/// Whether the PostgreSQL half ran: in CI a missing database is a failure, not a skip.
@Suite("PostgreSQL test database")
struct PostgresAvailabilityTests {
    @Test("KEYPORT_TEST_POSTGRES is set in CI")
    func configuredInCI() {
        if !TestPostgres.isConfigured {
            if TestPostgres.isCI {
                Issue.record("CI=true but \(TestPostgres.variable) is not set: the PostgreSQL store tests cannot run")
            } else {
                print("note: \(TestPostgres.skipMessage)")
            }
        }
    }
}
