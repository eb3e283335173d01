/// Backoff between attempts to reach a destination that failed, configured with Synapse's names
/// (`federation: destination_min_retry_interval, destination_retry_multiplier,
/// destination_max_retry_interval`).
public struct RetrySchedule: Sendable, Equatable {
    public var minimum: Duration
    public var multiplier: Double
    public var maximum: Duration

    public init(minimum: Duration = .seconds(600), multiplier: Double = 2, maximum: Duration = .seconds(7 * 24 * 3600))
    {
        self.minimum = minimum
        self.multiplier = multiplier
        self.maximum = maximum
    }

    /// Application services' backoff, Synapse's: 2 s after the first failure, doubling up to
    /// 512 s. A bridge is usually one restart away from answering, so it is tried far sooner than
    /// a federation destination (whose first wait is ten minutes).
    public static let appServices = RetrySchedule(minimum: .seconds(2), multiplier: 2, maximum: .seconds(512))

    /// The wait after `failures` consecutive failures (1 = the first).
    public func delay(afterFailures failures: Int) -> Duration {
        var delay = minimum
        for _ in 1..<max(failures, 1) {
            delay = delay * multiplier
            if delay >= maximum { return maximum }
        }
        return min(delay, maximum)
    }
}
