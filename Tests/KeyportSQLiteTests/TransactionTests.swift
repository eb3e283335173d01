import KeyportSQLite
import Testing

private struct Abort: Error {}

@Suite("Transactions and statements")
struct TransactionTests {
    @Test("a write that throws leaves nothing behind, and its error comes out unchanged")
    func rollbackOnThrow() async throws {
        let directory = try TemporaryDirectory()
        let pool = try directory.pool()
        try await pool.write { db in try db.execute(sql: "CREATE TABLE t (x INTEGER)") }
        await #expect(throws: Abort.self) {
            try await pool.write { db in
                try db.execute(sql: "INSERT INTO t (x) VALUES (1)")
                throw Abort()
            }
        }
        // A failing statement rolls back the statements before it in the same write.
        try await pool.write { db in try db.execute(sql: "CREATE UNIQUE INDEX t_x ON t (x)") }
        await #expect(throws: DatabaseError.self) {
            try await pool.write { db in
                try db.execute(sql: "INSERT INTO t (x) VALUES (2)")
                try db.execute(sql: "INSERT INTO t (x) VALUES (2)")
            }
        }
        #expect(try await pool.read { db in try Int.fetchAll(db, sql: "SELECT x FROM t") } == [])
        // The writer is usable afterwards, outside the failed transactions.
        try await pool.write { db in
            #expect(db.isInsideTransaction)
            try db.execute(sql: "INSERT INTO t (x) VALUES (3)")
        }
        #expect(try await pool.read { db in try Int.fetchAll(db, sql: "SELECT x FROM t") } == [3])
    }

    @Test("changesCount and lastInsertedRowID describe the last statement")
    func changesAndRowID() async throws {
        let directory = try TemporaryDirectory()
        let pool = try directory.pool()
        try await pool.write { db in
            try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT)")
            try db.execute(sql: "INSERT INTO t (x) VALUES ('a'), ('b'), ('c')")
            #expect(db.changesCount == 3)
            #expect(db.lastInsertedRowID == 3)
            try db.execute(sql: "INSERT OR IGNORE INTO t (id, x) VALUES (1, 'again')")
            #expect(db.changesCount == 0)
            try db.execute(sql: "DELETE FROM t WHERE x IN ('a', 'b')")
            #expect(db.changesCount == 2)
        }
    }

    @Test("a cached statement is prepared once and runs with new arguments each time")
    func cachedStatements() async throws {
        let directory = try TemporaryDirectory()
        let pool = try directory.pool()
        let names = try await pool.write { db in
            try db.execute(sql: "CREATE TABLE t (x TEXT)")
            let insert = try db.cachedStatement(sql: "INSERT INTO t (x) VALUES (?)")
            #expect(try db.cachedStatement(sql: "INSERT INTO t (x) VALUES (?)") === insert)
            for name in ["a", "b", "c"] { try insert.execute(arguments: [name]) }
            let select = try db.cachedStatement(sql: "SELECT x FROM t WHERE x >= ? ORDER BY x")
            #expect(try String.fetchAll(select, arguments: ["b"]) == ["b", "c"])
            #expect(try String.fetchOne(select, arguments: ["a"]) == "a")
            return try Row.fetchAll(select, arguments: ["c"]).map { row -> String in row["x"] }
        }
        #expect(names == ["c"])
    }

    @Test("execute runs every statement, consuming positional arguments in order")
    func multipleStatements() async throws {
        let directory = try TemporaryDirectory()
        let pool = try directory.pool()
        let values = try await pool.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE t (x INTEGER); -- a comment
                    INSERT INTO t (x) VALUES (?);
                    INSERT INTO t (x) VALUES (?), (?);
                    """,
                arguments: [1, 2, 3])
            return try Int.fetchAll(db, sql: "SELECT x FROM t ORDER BY x")
        }
        #expect(values == [1, 2, 3])
    }

    @Test("a fetch takes exactly one statement")
    func oneStatementPerFetch() async throws {
        let directory = try TemporaryDirectory()
        let pool = try directory.pool()
        try await pool.read { db in
            let error = try #require(throws: DatabaseError.self) { try Int.fetchOne(db, sql: "SELECT 1; SELECT 2") }
            #expect(error.resultCode == .misuse)
            #expect(try Int.fetchOne(db, sql: "SELECT 1; -- one\n ") == 1)
        }
    }
}
