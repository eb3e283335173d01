/// Applies the outbound rules to `.well-known` lookups too: a hostname whose every address is in
/// `ip_range_blacklist` (and not whitelisted) is not fetched, so discovery cannot be used to make
/// this server call into a private network.
public struct CheckedWellKnownFetcher: WellKnownFetching {
    let inner: any WellKnownFetching
    let settings: FederationClientSettings

    public init(_ inner: any WellKnownFetching, settings: FederationClientSettings) {
        self.inner = inner
        self.settings = settings
    }

    public func fetch(hostname: String) async -> (result: WellKnownResult, cacheFor: Duration) {
        do {
            _ = try await settings.allowedAddress(for: hostname)
        } catch {
            return (.none, WellKnownCachePolicy.failureLifetime)
        }
        return await inner.fetch(hostname: hostname)
    }
}
