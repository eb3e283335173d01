import AsyncHTTPClient
import NIOCore
import NIOSSL

/// One HTTP client per (server name, address): AsyncHTTPClient takes the SNI name from the URL
/// and the address from `dnsOverride`, which is per client.
///
/// At most `capacity` clients are kept: past it the least recently used client that no request
/// holds is shut down, so made-up server names cannot make the cache grow without end. A request
/// holds its client from ``lease(serverName:address:)`` to ``release(serverName:address:)``.
actor HTTPClientCache {
    struct Entry {
        var client: HTTPClient
        var leases: Int
        var lastUsed: UInt64
    }

    let tls: TLSConfiguration
    let connectTimeout: Duration
    let capacity: Int
    private(set) var entries: [String: Entry] = [:]
    /// The keys of the entries no request holds, with the tick of their last use: eviction looks
    /// at these alone. (Scanning every entry on every new client cost a fan-out to 10,000
    /// destinations 10^8 steps: while all are held, each new client looked at all of them.)
    private var idle: [String: UInt64] = [:]
    private var tick: UInt64 = 0
    /// Set by `shutdown()`: no client is made after it, so none is left to deinit unshut.
    private(set) var isShutDown = false

    init(tls: TLSConfiguration, connectTimeout: Duration, capacity: Int = 256) {
        self.tls = tls
        self.connectTimeout = connectTimeout
        self.capacity = capacity
    }

    /// The client for one address, made on first use and held until `release`; nil once shut down.
    func lease(serverName: String?, address: String) async -> HTTPClient? {
        guard !isShutDown else { return nil }
        let key = Self.key(serverName, address)
        tick += 1
        if var entry = entries[key] {
            idle[key] = nil
            entry.leases += 1
            entry.lastUsed = tick
            entries[key] = entry
            return entry.client
        }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(connect: .nanoseconds(connectTimeout.nanoseconds)))
        if let serverName { configuration.dnsOverride = [serverName: address] }
        configuration.decompression = .disabled
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        entries[key] = Entry(client: client, leases: 1, lastUsed: tick)
        await evictIdle()
        return client
    }

    /// Ends one hold taken by `lease`.
    func release(serverName: String?, address: String) {
        let key = Self.key(serverName, address)
        guard var entry = entries[key] else { return }
        entry.leases -= 1
        entries[key] = entry
        if entry.leases <= 0 { idle[key] = entry.lastUsed }
    }

    /// Drops and shuts down the client for one address (after a failure on it).
    func discard(serverName: String?, address: String) async {
        let key = Self.key(serverName, address)
        idle[key] = nil
        guard let entry = entries.removeValue(forKey: key) else { return }
        try? await entry.client.shutdown()
    }

    /// Shuts every client down. Each `await` lets other calls in (actor reentrancy), so the map is
    /// drained one client at a time and no new client is made meanwhile.
    func shutdown() async {
        isShutDown = true
        idle = [:]
        while let (key, entry) = entries.first {
            entries.removeValue(forKey: key)
            try? await entry.client.shutdown()
        }
    }

    /// Shuts down the least recently used unheld clients while there are more than `capacity`.
    /// The victims are chosen before the first `await`; a client leased again meanwhile (actor
    /// reentrancy) is spared.
    private func evictIdle() async {
        let excess = entries.count - capacity
        guard excess > 0, !idle.isEmpty else { return }
        let victims =
            excess >= idle.count ? Array(idle.keys) : idle.sorted { $0.value < $1.value }.prefix(excess).map(\.key)
        for key in victims {
            guard idle.removeValue(forKey: key) != nil, let entry = entries.removeValue(forKey: key) else { continue }
            try? await entry.client.shutdown()
        }
    }

    private static func key(_ serverName: String?, _ address: String) -> String {
        "\(serverName ?? "")|\(address)"
    }
}
