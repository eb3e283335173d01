import Foundation
import KeyportSQLite
import Testing

@Suite("Snapshots: one read transaction over many reads")
struct SnapshotTests {
    @Test("every read sees the database as at the first, whatever commits meanwhile; the file is not written")
    func oneMoment() async throws {
        let directory = try TemporaryDirectory()
        let pool = try directory.pool()
        try await pool.write { db in
            try db.execute(sql: "CREATE TABLE t (x INTEGER PRIMARY KEY); INSERT INTO t (x) VALUES (1), (2)")
        }
        let snapshot = try DatabaseSnapshot(existingPath: directory.path())
        try await pool.write { db in try db.execute(sql: "INSERT INTO t (x) VALUES (3)") }
        #expect(try await snapshot.read { db in try Int.fetchAll(db, sql: "SELECT x FROM t ORDER BY x") } == [1, 2])
        try await pool.write { db in try db.execute(sql: "DELETE FROM t") }
        #expect(try await snapshot.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") } == 2)
        await #expect(throws: DatabaseError.self) {
            try await snapshot.read { db in try db.execute(sql: "INSERT INTO t (x) VALUES (9)") }
        }
        #expect(try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") } == 0)
    }

    @Test("a missing file is not created, and a file that is not a database is refused")
    func refusals() throws {
        let directory = try TemporaryDirectory()
        let missing = directory.path("missing.sqlite")
        #expect { try DatabaseSnapshot(existingPath: missing) } throws: {
            ($0 as? DatabaseError)?.resultCode == .cantOpen
        }
        #expect(!FileManager.default.fileExists(atPath: missing))
        let text = directory.path("text.sqlite")
        try Data(String(repeating: "not a database ", count: 100).utf8).write(to: URL(fileURLWithPath: text))
        #expect { try DatabaseSnapshot(existingPath: text) } throws: {
            ($0 as? DatabaseError)?.message == "file is not a database"
        }
    }
}
