import Dispatch
import Foundation
import MatrixModel

/// Threads of Keyport's own for password hashing. A 600,000-round PBKDF2 keeps a core busy for a
/// few hundred milliseconds; on Swift's cooperative pool (one thread per core) two of them at once
/// would stall every other request. Here they queue on dedicated threads instead, and past
/// `maxPending` waiting derivations a new one is refused with 429 rather than queued without end.
public final class KeyDerivationPool: @unchecked Sendable {
    private let queues: [DispatchQueue]
    private let maxPending: Int
    private let lock = NSLock()
    private var next = 0
    private var pending = 0
    private var completed = 0

    private static let marker = DispatchSpecificKey<Bool>()

    public init(threads: Int = 2, maxPending: Int = 256) {
        queues = (0..<max(1, threads)).map { index in
            let queue = DispatchQueue(label: "keyport-kdf-\(index)", qos: .userInitiated)
            queue.setSpecific(key: Self.marker, value: true)
            return queue
        }
        self.maxPending = max(1, maxPending)
    }

    /// True on a thread of some hashing pool.
    public static var isCurrentThreadInPool: Bool { DispatchQueue.getSpecific(key: marker) ?? false }

    /// Derivations finished so far (for tests and metrics).
    public var completedCount: Int { lock.withLock { completed } }

    /// Runs `work` on one of the pool's threads and returns its result.
    public func run<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async throws -> Result {
        let queue: DispatchQueue? = lock.withLock {
            guard pending < maxPending else { return nil }
            pending += 1
            next = (next + 1) % queues.count
            return queues[next]
        }
        guard let queue else {
            throw MatrixError.limitExceeded(retryAfterMilliseconds: 1000)
        }
        return await withCheckedContinuation { continuation in
            queue.async {
                let result = work()
                self.lock.withLock {
                    self.pending -= 1
                    self.completed += 1
                }
                continuation.resume(returning: result)
            }
        }
    }
}
