import Dispatch
import Foundation
import KeyportSQLite
import Testing

/// Counts how many closures are inside a section at once, and the most there ever were.
private final class Occupancy: @unchecked Sendable {
    private let lock = NSLock()
    private var current = 0
    private(set) var maximum = 0

    func enter() {
        lock.withLock {
            current += 1
            maximum = max(maximum, current)
        }
    }

    func leave() { lock.withLock { current -= 1 } }
}

@Suite("The pool: one writer, many readers, WAL")
struct PoolTests {
    @Test("the database is in WAL mode with the configured PRAGMAs on every connection")
    func walAndPragmas() async throws {
        let directory = try TemporaryDirectory()
        var configuration = Configuration()
        configuration.prepareDatabase = { db in try db.execute(sql: "PRAGMA cache_size = -2048") }
        let pool = try directory.pool(configuration: configuration)
        let written = try await pool.write { db in
            [
                try String.fetchOne(db, sql: "PRAGMA journal_mode"),
                try String(Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1),
                try String(Int.fetchOne(db, sql: "PRAGMA cache_size") ?? 0),
                try String(Int.fetchOne(db, sql: "PRAGMA foreign_keys") ?? -1),
            ]
        }
        let read = try await pool.read { db in
            [
                try String.fetchOne(db, sql: "PRAGMA journal_mode"),
                try String(Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1),
                try String(Int.fetchOne(db, sql: "PRAGMA cache_size") ?? 0),
                try String(Int.fetchOne(db, sql: "PRAGMA foreign_keys") ?? -1),
            ]
        }
        // synchronous = NORMAL (1) is the compiled-in default for WAL databases.
        #expect(written == ["wal", "1", "-2048", "1"])
        #expect(read == written)
    }

    @Test("a read sees one snapshot from its first read to its end, while a write commits")
    func snapshotIsolation() async throws {
        let directory = try TemporaryDirectory()
        let pool = try directory.pool()
        try await pool.write { db in try db.execute(sql: "CREATE TABLE t (x); INSERT INTO t (x) VALUES (1)") }
        let readStarted = DispatchSemaphore(value: 0)
        let writeCommitted = DispatchSemaphore(value: 0)
        async let counts = pool.read { db in
            let before = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t")
            readStarted.signal()
            writeCommitted.wait()
            let after = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t")
            return [before, after]
        }
        await wait(for: readStarted)
        // The write does not wait for the read to end.
        try await pool.write { db in try db.execute(sql: "INSERT INTO t (x) VALUES (2)") }
        writeCommitted.signal()
        #expect(try await counts == [1, 1])
        #expect(try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") } == 2)
    }

    @Test("writes run one at a time, in full, even when many are started at once")
    func writesSerialized() async throws {
        let directory = try TemporaryDirectory()
        let pool = try directory.pool()
        try await pool.write { db in
            try db.execute(sql: "CREATE TABLE counter (n INTEGER); INSERT INTO counter VALUES (0)")
        }
        let occupancy = Occupancy()
        let writes = 40
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<writes {
                group.addTask {
                    try await pool.write { db in
                        occupancy.enter()
                        defer { occupancy.leave() }
                        // Read, then write what was read plus one: interleaved writes would lose updates.
                        let n = try Int.fetchOne(db, sql: "SELECT n FROM counter") ?? 0
                        try db.execute(sql: "UPDATE counter SET n = ?", arguments: [n + 1])
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await pool.read { db in try Int.fetchOne(db, sql: "SELECT n FROM counter") } == writes)
        #expect(occupancy.maximum == 1)
    }

    @Test("reads run side by side on several connections, never more than the maximum")
    func readersInParallel() async throws {
        let directory = try TemporaryDirectory()
        var configuration = Configuration()
        configuration.maximumReaderCount = 3
        let pool = try directory.pool(configuration: configuration)
        let occupancy = Occupancy()
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        try await withThrowingTaskGroup(of: Int?.self) { group in
            for _ in 0..<9 {
                group.addTask {
                    try await pool.read { db in
                        occupancy.enter()
                        defer { occupancy.leave() }
                        entered.signal()
                        release.wait()
                        return try Int.fetchOne(db, sql: "SELECT 1")
                    }
                }
            }
            // Three reads are inside at once, each holding its connection until released.
            for _ in 0..<3 { await wait(for: entered) }
            for _ in 0..<9 { release.signal() }
            for try await value in group { #expect(value == 1) }
        }
        #expect(occupancy.maximum == 3)
    }

    @Test("SQLite work that blocks does not hold the Swift concurrency pool's threads")
    func blockedWorkLeavesCooperativePoolFree() async throws {
        let directory = try TemporaryDirectory()
        var configuration = Configuration()
        configuration.maximumReaderCount = 8
        let pool = try directory.pool(configuration: configuration)
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        // More blocked closures than the machine has cores, hence than the cooperative pool has threads.
        let blocked = ProcessInfo.processInfo.activeProcessorCount + 4
        // Each closure waits for this task to release it. Were the closures on the cooperative pool,
        // this task could not run to do it, and they would give up after the deadline.
        let deadline = DispatchTime.now() + .seconds(20)
        let released = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<blocked {
                group.addTask {
                    if index == 0 {
                        return try await pool.write { _ in
                            started.signal()
                            return release.wait(timeout: deadline) == .success
                        }
                    }
                    return try await pool.read { _ in
                        started.signal()
                        return release.wait(timeout: deadline) == .success
                    }
                }
            }
            // The writer and as many reads as there are readers start; the rest wait for a reader
            // without holding a thread.
            for _ in 0..<min(blocked, configuration.maximumReaderCount + 1) { await wait(for: started) }
            let other = await Task.detached { (1...100).reduce(0, +) }.value
            #expect(other == 5050)
            for _ in 0..<blocked { release.signal() }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(released == Array(repeating: true, count: blocked))
    }
}
