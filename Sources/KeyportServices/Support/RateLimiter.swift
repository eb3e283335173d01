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
        var bucket = refilled(key, now: now)
        if bucket.tokens >= 1 {
            bucket.tokens -= 1
            store(bucket, for: key, now: now)
            return
        }
        store(bucket, for: key, now: now)
        throw exceeded(bucket)
    }

    /// Throws 429 if `key` has no token left, without taking one: for limits on failures, which
    /// are checked before the attempt and charged only when it fails.
    public func ensureAvailable(_ key: String) throws(MatrixError) {
        let bucket = refilled(key, now: clock.now)
        if bucket.tokens < 1 { throw exceeded(bucket) }
    }

    /// Takes one token for `key` if there is one left; never throws.
    public func charge(_ key: String) {
        let now = clock.now
        var bucket = refilled(key, now: now)
        bucket.tokens = max(0, bucket.tokens - 1)
        store(bucket, for: key, now: now)
    }

    private func refilled(_ key: String, now: ContinuousClock.Instant) -> Bucket {
        var bucket = buckets[key] ?? Bucket(tokens: limit.burst, updated: now)
        let elapsed = now - bucket.updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        bucket.tokens = min(limit.burst, bucket.tokens + seconds * limit.perSecond)
        bucket.updated = now
        return bucket
    }

    private func store(_ bucket: Bucket, for key: String, now: ContinuousClock.Instant) {
        buckets[key] = bucket
        if buckets.count > 100_000 { prune(now: now) }
    }

    private func exceeded(_ bucket: Bucket) -> MatrixError {
        let wait = limit.perSecond > 0 ? (1 - bucket.tokens) / limit.perSecond : 3600
        return MatrixError.limitExceeded(retryAfterMilliseconds: Int64((wait * 1000).rounded(.up)))
    }

    private func prune(now: ContinuousClock.Instant) {
        let full = limit.perSecond > 0 ? limit.burst / limit.perSecond : 3600
        buckets = buckets.filter { _, bucket in
            let idle = now - bucket.updated
            return Double(idle.components.seconds) < full
        }
    }
}
