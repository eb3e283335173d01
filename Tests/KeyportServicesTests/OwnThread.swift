import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Work that holds a thread for long, run on a thread of its own instead of the Swift concurrency
/// pool, which has as many threads as the machine has cores (two here). The test suite runs its
/// tests side by side on that pool: a test blocked on a semaphore, or computing for seconds, there
/// leaves every other test fewer threads, and tests with a time bound then miss it.

/// Waits for `semaphore` on a thread of its own.
func wait(for semaphore: DispatchSemaphore) async {
    await withCheckedContinuation { continuation in
        Thread {
            semaphore.wait()
            continuation.resume()
        }
        .start()
    }
}

/// Runs `body` on a thread of its own at a lower scheduling priority (nice 10), so that a
/// computation of several seconds shares the cores with the rest of the suite without delaying it.
func computeInBackground<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            #if canImport(Glibc)
                // On Linux the nice value belongs to the calling thread.
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
            #endif
            continuation.resume(with: Result { try body() })
        }
        .start()
    }
}
