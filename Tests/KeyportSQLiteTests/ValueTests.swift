import Foundation
import KeyportSQLite
import Testing

@Suite("Binding and reading values")
struct ValueTests {
    /// Writes each value to an untyped column (SQLite keeps what it is given) and reads it back.
    private func roundTrip<Value: DatabaseValueConvertible & Sendable>(_ value: Value?) async throws -> Value? {
        let directory = try TemporaryDirectory()
        let pool = try directory.pool()
        return try await pool.write { db in
            try db.execute(sql: "CREATE TABLE t (value)")
            try db.execute(sql: "INSERT INTO t (value) VALUES (?)", arguments: [value])
            let fetched = try Value.fetchOne(db, sql: "SELECT value FROM t")
            let row = try #require(try Row.fetchOne(db, sql: "SELECT value FROM t"))
            let subscripted: Value? = row["value"]
            #expect(subscripted.map(\.databaseValue) == fetched.map(\.databaseValue))
            return fetched
        }
    }

    @Test func strings() async throws {
        #expect(try await roundTrip("héllo ✓") == "héllo ✓")
        #expect(try await roundTrip("a\u{0}b") == "a\u{0}b")
        // An empty string is a value, not NULL.
        #expect(try await roundTrip("") == "")
    }

    @Test func integers() async throws {
        #expect(try await roundTrip(Int64.max) == Int64.max)
        #expect(try await roundTrip(Int64.min) == Int64.min)
        #expect(try await roundTrip(-42) == -42)
    }

    @Test func booleans() async throws {
        #expect(try await roundTrip(true) == true)
        #expect(try await roundTrip(false) == false)
    }

    @Test func doubles() async throws {
        #expect(try await roundTrip(1.5) == 1.5)
        #expect(try await roundTrip(-0.25) == -0.25)
    }

    @Test func data() async throws {
        #expect(try await roundTrip(Data([0, 1, 2, 255])) == Data([0, 1, 2, 255]))
        #expect(try await roundTrip(Data()) == Data())
    }

    @Test("nil binds NULL, and NULL reads as nil")
    func nulls() async throws {
        #expect(try await roundTrip(String?.none) == nil)
        let directory = try TemporaryDirectory()
        let pool = try directory.pool()
        try await pool.write { db in
            try db.execute(sql: "CREATE TABLE t (a, b)")
            try db.execute(sql: "INSERT INTO t (a, b) VALUES (?, ?)", arguments: [nil, 1])
            let row = try #require(try Row.fetchOne(db, sql: "SELECT a, b FROM t"))
            let a: String? = row["a"]
            let b: Int64? = row["b"]
            #expect(a == nil)
            #expect(b == 1)
            #expect(row.databaseValue("a") == .null)
            #expect(try Int64.fetchOne(db, sql: "SELECT MAX(b) FROM t WHERE b > 5") == nil)
            #expect(try String.fetchOne(db, sql: "SELECT a FROM t WHERE 0") == nil)
            // A non-optional list cannot hold the NULL.
            #expect {
                try String.fetchAll(db, sql: "SELECT a FROM t")
            } throws: { error in
                (error as? DatabaseError)?.resultCode == .mismatch
            }
        }
    }

    @Test("a value of another type does not read as the requested type")
    func mismatch() async throws {
        let directory = try TemporaryDirectory()
        let pool = try directory.pool()
        try await pool.read { db in
            let error = try #require(throws: DatabaseError.self) { try Int64.fetchOne(db, sql: "SELECT 'seven'") }
            #expect(error.resultCode == .mismatch)
            #expect(try Int.fetchOne(db, sql: "SELECT 7.0") == 7)
            #expect(try Double.fetchOne(db, sql: "SELECT 7") == 7)
        }
    }

    @Test("rows: columns by name ignoring case, in order, leftmost duplicate wins")
    func rows() async throws {
        let directory = try TemporaryDirectory()
        let pool = try directory.pool()
        let rows = try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT 1 AS n, 'x' AS Name, 2 AS n UNION ALL SELECT 3, 'y', 4")
        }
        #expect(rows.count == 2)
        #expect(rows[0].columnNames == ["n", "Name", "n"])
        let first: Int = rows[0]["n"]
        let name: String = rows[1]["NAME"]
        #expect(first == 1)
        #expect(name == "y")
        #expect(rows[1].values == [.integer(3), .text("y"), .integer(4)])
    }

    @Test("named arguments, a name used twice binds once")
    func namedArguments() async throws {
        let directory = try TemporaryDirectory()
        let pool = try directory.pool()
        let values = try await pool.read { db in
            try Int64.fetchAll(
                db, sql: "SELECT :a + :b UNION ALL SELECT :a * :b", arguments: ["a": 3, "b": Int64(4)])
        }
        #expect(values == [7, 12])
    }

    @Test("arguments must match the statement's parameters")
    func argumentCount() async throws {
        let directory = try TemporaryDirectory()
        let pool = try directory.pool()
        try await pool.read { db in
            #expect {
                try Int.fetchOne(db, sql: "SELECT ?", arguments: [1, 2])
            } throws: { error in
                (error as? DatabaseError)?.resultCode == .range
            }
            #expect {
                try Int.fetchOne(db, sql: "SELECT ? + ?", arguments: [1])
            } throws: { error in
                (error as? DatabaseError)?.resultCode == .range
            }
            #expect {
                try Int.fetchOne(db, sql: "SELECT :a", arguments: ["b": 1])
            } throws: { error in
                (error as? DatabaseError)?.resultCode == .range
            }
        }
    }
}
