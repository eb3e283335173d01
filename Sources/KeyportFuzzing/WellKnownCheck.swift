import KeyportFederation
import NIOCore

/// A `.well-known/matrix/server` body and its cache headers.
///
/// A delegation read from a body is a server name the resolver can split (see
/// ``ServerNameCheck``). The same bytes read as `Cache-Control` and `Expires` values give a cache
/// lifetime between the policy's minimum and maximum.
enum WellKnownCheck {
    /// A fixed "now" (2026-01-01T00:00:00Z), so that a run is repeatable.
    private static let now: Int64 = 1_767_225_600

    static func check(_ input: [UInt8]) throws(InvariantViolation) -> Bool {
        let delegation = HTTPWellKnownFetcher.delegation(in: ByteBuffer(bytes: input))
        if let delegation { try ServerNameCheck.checkServerName(delegation) }

        let text = String(decoding: input, as: UTF8.self)
        let lifetime = WellKnownCachePolicy.lifetime(cacheControl: [text], expires: [text], now: now)
        try invariant(
            lifetime >= WellKnownCachePolicy.minimumLifetime && lifetime <= WellKnownCachePolicy.maximumLifetime,
            "cache lifetime \(lifetime) for \(text)")
        if let seconds = WellKnownCachePolicy.explicitLifetime(cacheControl: [text], expires: [text], now: now) {
            try invariant(seconds >= 0, "a negative cache lifetime \(seconds) for \(text)")
        }
        _ = WellKnownCachePolicy.httpDate(text)
        return delegation != nil
    }
}
