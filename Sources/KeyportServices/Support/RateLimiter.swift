public import MatrixModel

/// A token-bucket limit: `perSecond` actions sustained, `burst` at once.
public struct RateLimit: Sendable, Equatable {
    public var perSecond: Double
    public var burst: Double

    public init(perSecond: Double, burst: Double) {
        self.perSecond = perSecond
        self.burst = burst
    }
}

/// Token buckets keyed by a string (an address, a user); answers `M_LIMIT_EXCEEDED` when empty.
public actor RateLimiter {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let limit: RateLimit
    private var buckets: [String: Bucket] = [:]
    private let clock = ContinuousClock()

    public init(limit: RateLimit) {
        self.limit = limit
    }

    /// Takes one token for `key`, or throws 429 with `retry_after_ms`.
    public func acquire(_ key: String) throws(MatrixError) {
        let now = clock.now
        var bucket = buckets[key] ?? Bucket(tokens: limit.burst, updated: now)
        let elapsed = now - bucket.updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        bucket.tokens = min(limit.burst, bucket.tokens + seconds * limit.perSecond)
        bucket.updated = now
        if bucket.tokens >= 1 {
            bucket.tokens -= 1
            buckets[key] = bucket
            if buckets.count > 100_000 { prune(now: now) }
            return
        }
        buckets[key] = bucket
        let wait = limit.perSecond > 0 ? (1 - bucket.tokens) / limit.perSecond : 3600
        throw MatrixError.limitExceeded(retryAfterMilliseconds: Int64((wait * 1000).rounded(.up)))
    }

    private func prune(now: ContinuousClock.Instant) {
        let full = limit.perSecond > 0 ? limit.burst / limit.perSecond : 3600
        buckets = buckets.filter { _, bucket in
            let idle = now - bucket.updated
            return Double(idle.components.seconds) < full
        }
    }
}
