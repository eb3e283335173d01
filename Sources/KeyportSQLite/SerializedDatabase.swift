import Dispatch

/// A connection and the serial queue it is only ever used on.
///
/// SQLite calls block their thread, so they run here rather than on the Swift concurrency pool,
/// whose few threads must not wait on disk or on locks; async callers are resumed when the work ends.
final class SerializedDatabase: @unchecked Sendable {
    // Touched only on `queue`, which makes the class safe to share.
    private let database: Database
    private let queue: DispatchQueue

    init(path: String, readOnly: Bool, configuration: Configuration, label: String) throws {
        queue = DispatchQueue(label: label)
        database = try Database(path: path, readOnly: readOnly, configuration: configuration)
    }

    /// Runs `body` on the connection's queue, blocking the caller until it is done.
    func sync<T>(_ body: (Database) throws -> T) rethrows -> T {
        // Waiting on our own queue would never return.
        dispatchPrecondition(condition: .notOnQueue(queue))
        return try queue.sync { try body(database) }
    }

    /// Runs `body` on the connection's queue later; the caller does not wait.
    func schedule(_ body: @escaping @Sendable (Database) -> Void) {
        queue.async { body(self.database) }
    }

    /// Runs `body` on the connection's queue and resumes the caller with its result.
    func run<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body(self.database) })
            }
        }
    }
}
