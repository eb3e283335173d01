import Foundation
import KeyportSQLite
import Testing

@Suite("WAL checkpoints run on a connection of their own")
struct CheckpointTests {
    @Test("the writer never checkpoints, yet the WAL is checkpointed and reused as it grows")
    func checkpointsInTheBackground() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path()
        let pool = try directory.pool()
        try await pool.write { db in try db.execute(sql: "CREATE TABLE t (payload BLOB)") }
        let walPath = path + "-wal"
        func walBytes() -> Int { (try? FileManager.default.attributesOfItem(atPath: walPath)[.size] as? Int) ?? 0 }
        // 40 writes of about 100 pages each: 4,000 pages written, four times the threshold.
        var largestWAL = 0
        for _ in 0..<40 {
            try await pool.write { db in
                for _ in 0..<100 {
                    try db.execute(sql: "INSERT INTO t (payload) VALUES (randomblob(4000))")
                }
            }
            largestWAL = max(largestWAL, walBytes())
            // Give the checkpointer its turn, as the time between requests would.
            try await Task.sleep(for: .milliseconds(10))
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while pool.backgroundCheckpoints == 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(pool.backgroundCheckpoints > 0)
        // Without checkpoints the WAL would hold all 4,000 pages (16 MB); with them it starts
        // again from its beginning and stays near the threshold (1,000 pages, 4 MB) plus a write.
        #expect(largestWAL < 8_000_000, "the WAL grew to \(largestWAL) bytes")
        #expect(try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") } == 4000)
    }
}
