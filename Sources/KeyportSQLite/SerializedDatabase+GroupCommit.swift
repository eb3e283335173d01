import Dispatch

/// Group commit: the write transactions that queue up while the writer is busy run together, each
/// in a savepoint of one shared transaction, with one `COMMIT` for all of them.
///
/// Each caller gets exactly what a transaction of its own would give: its body's result once the
/// shared transaction has committed (so what it wrote is durable and visible when it resumes), and
/// its own error, with nothing of its writes kept, if its body throws — the savepoint is rolled
/// back and the others go on. Bodies run one after the other in arrival order, each seeing what
/// the ones before it wrote, as serial transactions would. If the commit fails, every caller gets
/// that error and nothing is kept. If SQLite rolls the whole transaction back on its own after a
/// body's error (some errors, such as a full disk, end the transaction), the bodies that had run
/// before it are told so, and the ones after it wait for the next transaction.
///
/// What it saves is a transaction, a commit (WAL frames and the WAL index, their locks) and a wake-up
/// of the writer thread per write, which under concurrent load are most of a small write's cost.
extension SerializedDatabase {
    /// The most writes one transaction takes.
    static let groupCommitLimit = 64

    /// Runs `body` in a transaction on the writer, sharing it with the writes queued at the same
    /// time, and resumes the caller with its result once that transaction commits.
    func runGrouped<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let write = GroupedWrite(body: body, continuation: continuation)
            queue.async {
                self.waitingWrites.append(write)
                guard !self.groupCommitScheduled else { return }
                self.groupCommitScheduled = true
                // Behind the appends already queued, so they join this group.
                self.queue.async { self.commitWaitingWrites() }
            }
        }
    }

    /// On `queue`: runs the waiting writes, a group of at most `groupCommitLimit` at a time.
    private func commitWaitingWrites() {
        while !waitingWrites.isEmpty {
            let count = min(Self.groupCommitLimit, waitingWrites.count)
            let group = Array(waitingWrites.prefix(count))
            waitingWrites.removeFirst(count)
            if group.count == 1 {
                if group[0].runAlone(database) { committedWriteTransactions += 1 }
            } else {
                let unrun = runTogether(group)
                waitingWrites.insert(contentsOf: unrun, at: 0)
            }
        }
        groupCommitScheduled = false
    }

    /// Runs `group` in one transaction and completes each write; returns the writes that did not
    /// run because SQLite ended the transaction early.
    private func runTogether(_ group: [GroupedWrite]) -> [GroupedWrite] {
        let db = database
        do {
            try db.cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION").execute()
        } catch {
            for write in group { write.complete(failure: error) }
            return []
        }
        var ran: [GroupedWrite] = []
        for (index, write) in group.enumerated() {
            do {
                try db.cachedStatement(sql: "SAVEPOINT grouped_write").execute()
            } catch {
                return abandon(ran: ran, failed: write, error: error, unrun: Array(group[(index + 1)...]))
            }
            if write.perform(db) {
                do {
                    try db.cachedStatement(sql: "RELEASE SAVEPOINT grouped_write").execute()
                } catch {
                    return abandon(ran: ran, failed: write, error: error, unrun: Array(group[(index + 1)...]))
                }
            } else if db.isInsideTransaction {
                // Undo this body's writes only; the transaction and the others' writes go on.
                do {
                    try db.cachedStatement(sql: "ROLLBACK TRANSACTION TO SAVEPOINT grouped_write").execute()
                    try db.cachedStatement(sql: "RELEASE SAVEPOINT grouped_write").execute()
                } catch {
                    return abandon(ran: ran, failed: write, error: error, unrun: Array(group[(index + 1)...]))
                }
            } else {
                // SQLite rolled the whole transaction back after this body's error.
                return abandon(ran: ran, failed: write, error: nil, unrun: Array(group[(index + 1)...]))
            }
            ran.append(write)
        }
        do {
            try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
        } catch {
            if db.isInsideTransaction { try? db.cachedStatement(sql: "ROLLBACK TRANSACTION").execute() }
            for write in ran { write.complete(failure: error) }
            return []
        }
        committedWriteTransactions += 1
        for write in ran { write.complete(failure: nil) }
        return []
    }

    /// Ends a group whose transaction cannot go on: the writes that ran are rolled back and told so,
    /// `failed` gets its own error (or `error`), and the writes after it are handed back to run in
    /// the next transaction.
    private func abandon(ran: [GroupedWrite], failed: GroupedWrite, error: (any Error)?, unrun: [GroupedWrite])
        -> [GroupedWrite]
    {
        if database.isInsideTransaction { try? database.cachedStatement(sql: "ROLLBACK TRANSACTION").execute() }
        let rolledBack = error ?? GroupCommitRolledBack()
        for write in ran { write.complete(failure: rolledBack) }
        failed.complete(failure: error)
        return unrun
    }
}

/// A write waiting for its group: the body, and the caller to resume with its outcome.
final class GroupedWrite: @unchecked Sendable {
    // Touched only on the writer's queue.
    private let body: (Database) -> Void
    private let finish: ((any Error)?) -> Void

    init<T: Sendable>(body: @escaping @Sendable (Database) throws -> T, continuation: CheckedContinuation<T, any Error>)
    {
        let outcome = OutcomeBox<T>()
        self.body = { db in outcome.result = Result { try body(db) } }
        self.finish = { failure in
            switch (outcome.result, failure) {
            case (.failure(let own), _): continuation.resume(throwing: own)
            case (_, let failure?): continuation.resume(throwing: failure)
            case (.success(let value), nil): continuation.resume(returning: value)
            case (nil, nil): continuation.resume(throwing: GroupCommitRolledBack())
            }
        }
        self.outcome = { outcome.succeeded }
    }

    private let outcome: () -> Bool

    /// Runs the body; true if it returned.
    func perform(_ db: Database) -> Bool {
        body(db)
        return outcome()
    }

    /// Runs the body in a transaction of its own and resumes the caller; true if it committed.
    func runAlone(_ db: Database) -> Bool {
        do {
            try db.inTransaction(.immediate) {
                if !perform(db) { throw GroupCommitRolledBack() }
            }
            finish(nil)
            return true
        } catch {
            // The body's own error wins over the marker thrown to roll back.
            finish(error is GroupCommitRolledBack ? nil : error)
            return false
        }
    }

    /// Resumes the caller: with the body's error if it threw, else with `failure` if the group's
    /// transaction did not commit, else with the body's result.
    func complete(failure: (any Error)?) {
        finish(failure)
    }
}

/// Where a body's outcome waits for the group's commit.
private final class OutcomeBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
    var succeeded: Bool {
        if case .success = result { return true }
        return false
    }
}

/// A write that returned, but whose group's transaction SQLite rolled back because of another
/// write's error: nothing of it was kept.
public struct GroupCommitRolledBack: Error, CustomStringConvertible {
    public var description: String {
        "the transaction this write shared with others was rolled back by an error in another write"
    }
}
