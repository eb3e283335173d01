import Dispatch
import Foundation
import KeyportSQLite
import Testing

/// Counts the tasks that have called `write` (and are about to queue on the writer).
private final class Started: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

private struct Refused: Error, Equatable {}

@Suite("Group commit: writes queued together share one transaction, each keeping its own outcome")
struct GroupCommitTests {
    /// Holds the writer in a write until `release` is signalled, runs `writes` behind it, and returns
    /// each write's outcome in order.
    private func queuedBehindBusyWriter(
        _ pool: DatabasePool, _ writes: [@Sendable (Database) throws -> Int]
    ) async throws -> [Result<Int, any Error>] {
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        async let blocker: Void = pool.write { _ in
            entered.signal()
            release.wait()
        }
        await wait(for: entered)
        let started = Started()
        let outcomes = Task {
            await withTaskGroup(of: (Int, Result<Int, any Error>).self) { group in
                for (index, write) in writes.enumerated() {
                    group.addTask {
                        started.increment()
                        do { return (index, .success(try await pool.write(write))) } catch {
                            return (index, .failure(error))
                        }
                    }
                }
                var results: [Int: Result<Int, any Error>] = [:]
                for await (index, result) in group { results[index] = result }
                return (0..<writes.count).map { results[$0]! }
            }
        }
        while started.value < writes.count { try await Task.sleep(for: .milliseconds(5)) }
        try await Task.sleep(for: .milliseconds(100))  // from `write` to the writer's queue
        release.signal()
        try await blocker
        return await outcomes.value
    }

    private func table(_ pool: DatabasePool) async throws {
        try await pool.write { db in try db.execute(sql: "CREATE TABLE t (x INTEGER UNIQUE)") }
    }

    private func rows(_ pool: DatabasePool) async throws -> [Int] {
        try await pool.read { db in try Int.fetchAll(db, sql: "SELECT x FROM t ORDER BY x") }
    }

    @Test("writes queued while the writer is busy commit together, each resuming with its own result")
    func queuedWritesShareACommit() async throws {
        let directory = try TemporaryDirectory()
        let pool = try directory.pool()
        try await table(pool)
        let before = try await pool.committedWriteTransactions()
        let writes: [@Sendable (Database) throws -> Int] = (0..<20).map { value in
            { db in
                try db.execute(sql: "INSERT INTO t (x) VALUES (?)", arguments: [value])
                return value * 10
            }
        }
        let outcomes = try await queuedBehindBusyWriter(pool, writes)
        #expect(outcomes.map { try? $0.get() } == (0..<20).map { $0 * 10 })
        #expect(try await rows(pool) == Array(0..<20))
        // The busy write's own commit, then the 20 in one (or, if one was late, two).
        let commits = try await pool.committedWriteTransactions() - before
        #expect(commits >= 2 && commits <= 3, "\(commits) commits for 21 writes")
    }

    @Test("a write that throws keeps none of its writes; the others in its group keep theirs")
    func failedWriteRollsBackAlone() async throws {
        let directory = try TemporaryDirectory()
        let pool = try directory.pool()
        try await table(pool)
        let outcomes = try await queuedBehindBusyWriter(
            pool,
            [
                { db in
                    try db.execute(sql: "INSERT INTO t (x) VALUES (1)")
                    return 1
                },
                { db in
                    try db.execute(sql: "INSERT INTO t (x) VALUES (2)")
                    throw Refused()
                },
                { db in
                    // Sees the write before it in the group, not the one rolled back.
                    let seen = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") ?? -1
                    try db.execute(sql: "INSERT INTO t (x) VALUES (3)")
                    return seen
                },
            ])
        #expect(try outcomes[0].get() == 1)
        #expect(throws: Refused.self) { try outcomes[1].get() }
        #expect(try outcomes[2].get() == 1)
        #expect(try await rows(pool) == [1, 3])
    }

    @Test("when SQLite ends the shared transaction, the writes before are told and the writes after run again")
    func transactionEndedBySQLite() async throws {
        let directory = try TemporaryDirectory()
        let pool = try directory.pool()
        try await table(pool)
        try await pool.write { db in try db.execute(sql: "INSERT INTO t (x) VALUES (7)") }
        let outcomes = try await queuedBehindBusyWriter(
            pool,
            [
                { db in
                    try db.execute(sql: "INSERT INTO t (x) VALUES (1)")
                    return 1
                },
                { db in
                    // ON CONFLICT ROLLBACK ends the whole transaction, not only this statement.
                    try db.execute(sql: "INSERT OR ROLLBACK INTO t (x) VALUES (7)")
                    return 2
                },
                { db in
                    try db.execute(sql: "INSERT INTO t (x) VALUES (3)")
                    return 3
                },
            ])
        #expect(throws: GroupCommitRolledBack.self) { try outcomes[0].get() }
        #expect(throws: DatabaseError.self) { try outcomes[1].get() }
        #expect(try outcomes[2].get() == 3)
        #expect(try await rows(pool) == [3, 7])
    }
}
