import Dispatch
import KeyportSQLite
import Testing

@Suite("Errors carry SQLite's result code and message")
struct ErrorTests {
    @Test func uniqueConstraint() async throws {
        let directory = try TemporaryDirectory()
        let pool = try directory.pool()
        try await pool.write { db in try db.execute(sql: "CREATE TABLE t (x TEXT PRIMARY KEY NOT NULL, y UNIQUE)") }
        let error = try await #require(throws: DatabaseError.self) {
            try await pool.write { db in
                try db.execute(sql: "INSERT INTO t (x, y) VALUES ('a', 1), ('b', 1)")
            }
        }
        #expect(error.resultCode == .constraint)
        #expect(error.extendedResultCode == .constraintUnique)
        #expect(error.message == "UNIQUE constraint failed: t.y")
        #expect(error.sql == "INSERT INTO t (x, y) VALUES ('a', 1), ('b', 1)")

        let primaryKey = try await #require(throws: DatabaseError.self) {
            try await pool.write { db in try db.execute(sql: "INSERT INTO t (x) VALUES ('a'), ('a')") }
        }
        #expect(primaryKey.extendedResultCode == .constraintPrimaryKey)
        let notNull = try await #require(throws: DatabaseError.self) {
            try await pool.write { db in try db.execute(sql: "INSERT INTO t (x) VALUES (NULL)") }
        }
        #expect(notNull.extendedResultCode == .constraintNotNull)
    }

    @Test func syntaxError() async throws {
        let directory = try TemporaryDirectory()
        let pool = try directory.pool()
        let error = try await #require(throws: DatabaseError.self) {
            try await pool.read { db in try Int.fetchOne(db, sql: "SELEC 1") }
        }
        #expect(error.resultCode == .error)
        #expect(error.message.contains("syntax error"))
    }

    @Test("a reader cannot write")
    func readOnly() async throws {
        let directory = try TemporaryDirectory()
        let pool = try directory.pool()
        try await pool.write { db in try db.execute(sql: "CREATE TABLE t (x)") }
        let error = try await #require(throws: DatabaseError.self) {
            try await pool.read { db in try db.execute(sql: "INSERT INTO t (x) VALUES (1)") }
        }
        #expect(error.resultCode == .readOnly)
    }

    @Test("a write waits for another process's lock up to the busy timeout, then fails with SQLITE_BUSY")
    func busy() async throws {
        let directory = try TemporaryDirectory()
        let holder = try directory.pool()
        var impatient = Configuration()
        impatient.busyTimeout = .milliseconds(100)
        // A second pool on the same file stands for another process.
        let other = try directory.pool(configuration: impatient)
        let locked = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        async let holding: Void = holder.write { db in
            try db.execute(sql: "CREATE TABLE t (x)")
            locked.signal()
            release.wait()
        }
        await wait(for: locked)
        let clock = ContinuousClock()
        let start = clock.now
        let error = try await #require(throws: DatabaseError.self) {
            try await other.write { db in try db.execute(sql: "CREATE TABLE u (x)") }
        }
        #expect(error.resultCode == .busy)
        #expect(clock.now - start >= .milliseconds(100))
        release.signal()
        try await holding
        // Once the lock is gone the same write succeeds.
        try await other.write { db in try db.execute(sql: "CREATE TABLE u (x)") }
    }
}
