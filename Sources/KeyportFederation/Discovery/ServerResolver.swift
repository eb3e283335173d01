public import MatrixModel

/// Turns a server name into a place to connect to, following the server-server API's
/// "Resolving server names": IP literals and explicit ports are used as they are; otherwise the
/// `.well-known/matrix/server` delegation is consulted, then SRV records (`_matrix-fed._tcp`, then
/// the deprecated `_matrix._tcp`), then port 8448.
///
/// Well-known answers are cached per hostname for as long as the fetcher says; concurrent
/// resolutions of one hostname share a single fetch. SRV lookups are not cached here.
public actor ServerResolver {
    /// The port used when neither the server name, the delegation nor SRV gives one.
    public static let defaultPort = 8448

    /// A cached well-known answer and when it stops being valid.
    private struct CachedWellKnown {
        var result: WellKnownResult
        var expires: ContinuousClock.Instant
    }

    /// Above this many cached hostnames, expired entries are dropped, and if that is not enough
    /// (made-up names all answered within the hour) those expiring soonest, down to three quarters.
    static let cacheCapacity = 4096

    private let srv: any SRVResolving
    private let wellKnown: any WellKnownFetching
    private let now: @Sendable () -> ContinuousClock.Instant
    private var cache: [String: CachedWellKnown] = [:]
    private var inFlight: [String: Task<(result: WellKnownResult, cacheFor: Duration), Never>] = [:]

    /// - Parameter now: the clock used for well-known cache lifetimes; tests inject their own.
    public init(
        srv: any SRVResolving, wellKnown: any WellKnownFetching,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.srv = srv
        self.wellKnown = wellKnown
        self.now = now
    }

    /// Where to connect for `serverName`. Always gives an answer; failures along the way fall
    /// through to the next step, ending with the hostname on port 8448.
    public func resolve(_ serverName: ServerName) async -> ResolvedDestination {
        guard let parts = ServerAddressParts(serverName.rawValue) else {
            return ResolvedDestination(
                host: serverName.rawValue, port: Self.defaultPort, hostHeader: serverName.rawValue,
                tlsServerName: serverName.rawValue)
        }
        // Step 1: an IP literal, with its port or 8448. No SNI for an address.
        if parts.isIPLiteral {
            return ResolvedDestination(
                host: parts.host, port: parts.port ?? Self.defaultPort, hostHeader: serverName.rawValue,
                tlsServerName: nil)
        }
        // Step 2: a hostname with an explicit port.
        if let port = parts.port {
            return ResolvedDestination(
                host: parts.host, port: port, hostHeader: serverName.rawValue, tlsServerName: parts.host)
        }
        // Step 3: a delegation in .well-known.
        if case .delegated(let delegated) = await wellKnownResult(for: parts.host),
            let target = ServerAddressParts(delegated)
        {
            return await resolveDelegated(target, written: delegated)
        }
        // Steps 4 and 5: SRV records for the hostname, then the hostname on 8448.
        return await resolveWithSRV(parts.host)
    }

    /// Step 3's sub-steps for the delegated `host[:port]` (`written` as it appeared in `m.server`).
    private func resolveDelegated(_ target: ServerAddressParts, written: String) async -> ResolvedDestination {
        if target.isIPLiteral {
            return ResolvedDestination(
                host: target.host, port: target.port ?? Self.defaultPort, hostHeader: written, tlsServerName: nil)
        }
        if let port = target.port {
            return ResolvedDestination(host: target.host, port: port, hostHeader: written, tlsServerName: target.host)
        }
        return await resolveWithSRV(target.host)
    }

    /// `_matrix-fed._tcp.<hostname>`, then `_matrix._tcp.<hostname>`, then `<hostname>:8448`;
    /// the `Host` header and certificate name are the hostname in every case.
    private func resolveWithSRV(_ hostname: String) async -> ResolvedDestination {
        for service in ["_matrix-fed._tcp.", "_matrix._tcp."] {
            let records = (try? await srv.lookupSRV(service + hostname)) ?? []
            if let record = SRVRecord.preferred(records) {
                return ResolvedDestination(
                    host: record.target, port: record.port, hostHeader: hostname, tlsServerName: hostname)
            }
        }
        return ResolvedDestination(
            host: hostname, port: Self.defaultPort, hostHeader: hostname, tlsServerName: hostname)
    }

    /// The well-known answer for `hostname`, from the cache while it is fresh.
    private func wellKnownResult(for hostname: String) async -> WellKnownResult {
        let key = hostname.lowercased()
        if let cached = cache[key], now() < cached.expires {
            return cached.result
        }
        if let pending = inFlight[key] {
            return await pending.value.result
        }
        let fetcher = wellKnown
        let task = Task { await fetcher.fetch(hostname: hostname) }
        inFlight[key] = task
        let fetched = await task.value
        inFlight[key] = nil
        store(fetched.result, for: key, lifetime: fetched.cacheFor)
        return fetched.result
    }

    private func store(_ result: WellKnownResult, for key: String, lifetime: Duration) {
        let instant = now()
        if cache.count >= Self.cacheCapacity {
            cache = cache.filter { $0.value.expires > instant }
        }
        if cache.count >= Self.cacheCapacity {
            let keep = cache.sorted { $0.value.expires > $1.value.expires }.prefix(Self.cacheCapacity * 3 / 4)
            cache = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
        cache[key] = CachedWellKnown(result: result, expires: instant + lifetime)
    }

    /// How many hostnames the well-known cache holds (for tests).
    var cachedHostnames: Int { cache.count }
}
