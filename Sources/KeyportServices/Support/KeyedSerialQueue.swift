/// Runs operations one at a time per key, in arrival order; different keys run side by side.
///
/// Within one process this keeps writers of the same room from recomputing each other's work;
/// across processes the store's compare-and-set still decides, so this is an optimisation, never
/// the guarantee.
public actor KeyedSerialQueue {
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    public init() {}

    /// Runs `operation` once every earlier operation on `key` has finished.
    public nonisolated func run<T: Sendable>(
        _ key: String, _ operation: @Sendable () async throws -> T
    ) async throws -> T {
        await acquire(key)
        do {
            let result = try await operation()
            await release(key)
            return result
        } catch {
            await release(key)
            throw error
        }
    }

    private func acquire(_ key: String) async {
        if waiting[key] == nil {
            waiting[key] = []
            return
        }
        await withCheckedContinuation { continuation in waiting[key, default: []].append(continuation) }
    }

    private func release(_ key: String) {
        guard var queue = waiting[key], !queue.isEmpty else {
            waiting[key] = nil
            return
        }
        let next = queue.removeFirst()
        waiting[key] = queue
        next.resume()
    }
}
