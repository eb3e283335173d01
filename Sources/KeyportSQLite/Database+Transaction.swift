/// How a transaction takes its locks (https://sqlite.org/lang_transaction.html).
public enum TransactionKind: String, Sendable {
    /// Takes a read lock at the first read and a write lock at the first write. A read transaction
    /// sees one snapshot, from its first read to its end.
    case deferred = "DEFERRED"
    /// Takes the write lock at once.
    case immediate = "IMMEDIATE"
    /// Takes the write lock at once; other connections can still read in WAL mode.
    case exclusive = "EXCLUSIVE"
}

extension Database {
    /// Runs `body` in a transaction: commits if it returns, rolls back if it (or the commit) throws.
    public func inTransaction<T>(_ kind: TransactionKind = .deferred, _ body: () throws -> T) throws -> T {
        try cachedStatement(sql: "BEGIN \(kind.rawValue) TRANSACTION").execute()
        let result: T
        do {
            result = try body()
            try cachedStatement(sql: "COMMIT TRANSACTION").execute()
        } catch {
            rollbackIfNeeded()
            throw error
        }
        return result
    }

    /// Rolls back the open transaction, if SQLite has not already done so (it has after some errors).
    private func rollbackIfNeeded() {
        guard isInsideTransaction else { return }
        // A failed rollback leaves nothing better to do: the error that led here is the one to report.
        try? cachedStatement(sql: "ROLLBACK TRANSACTION").execute()
    }
}
