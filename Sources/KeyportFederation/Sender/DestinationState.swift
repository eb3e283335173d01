/// A destination as the admin API shows it (Synapse's `federation/destinations` fields). The
/// backoff comes from the store, so every process reports the same.
public struct DestinationState: Sendable, Equatable {
    /// Since when, when last, and for how long a failing destination is left alone.
    public struct Backoff: Sendable, Equatable {
        /// Milliseconds: the first failure of the current run of failures.
        public var failureTS: Int64
        /// Milliseconds: the latest failed attempt.
        public var retryLastTS: Int64
        /// Milliseconds until the next attempt after the latest failure.
        public var retryInterval: Int64
    }

    public var destination: String
    /// Nil while the destination is reachable.
    public var backoff: Backoff?
    public var hasQueuedEDUs: Bool
    public var hasQueuedPDUs: Bool
}
