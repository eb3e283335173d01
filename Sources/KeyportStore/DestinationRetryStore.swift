/// A destination that failed, as Synapse's `destinations` table keeps it: left alone until
/// `retryLastTS + retryInterval`.
public struct DestinationRetry: Sendable, Equatable {
    public var destination: String
    /// Milliseconds: the first failure of the current run of failures.
    public var failureTS: Int64
    /// Milliseconds: the latest failed attempt.
    public var retryLastTS: Int64
    /// Milliseconds from the latest failure to the next attempt.
    public var retryInterval: Int64
    /// Failures in a row.
    public var failures: Int

    public init(destination: String, failureTS: Int64, retryLastTS: Int64, retryInterval: Int64, failures: Int) {
        self.destination = destination
        self.failureTS = failureTS
        self.retryLastTS = retryLastTS
        self.retryInterval = retryInterval
        self.failures = failures
    }

    /// Milliseconds: when the destination may be tried again.
    public var retryAt: Int64 { retryLastTS + retryInterval }
}

/// The backoff of failing destinations, in the store so every process sees it: whichever process
/// sends to a destination next, hears from it, or serves the admin API reads and resets the same
/// state. The schedule itself (`RetrySchedule`) is the sender's.
public protocol DestinationRetryStore: Sendable {
    /// Every destination in backoff, by name.
    func destinationRetries() async throws -> [DestinationRetry]
    /// Records a failure (replacing the destination's previous state).
    func setDestinationRetry(_ retry: DestinationRetry) async throws
    /// Forgets a destination's failures; false when it had none.
    func clearDestinationRetry(_ destination: String) async throws -> Bool
}
