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
        entries[Self.key(serverName, address)]?.leases -= 1
    }

    /// Drops and shuts down the client for one address (after a failure on it).
    func discard(serverName: String?, address: String) async {
        guard let entry = entries.removeValue(forKey: Self.key(serverName, address)) else { return }
        try? await entry.client.shutdown()
    }

    /// Shuts every client down. Each `await` lets other calls in (actor reentrancy), so the map is
    /// drained one client at a time and no new client is made meanwhile.
    func shutdown() async {
        isShutDown = true
        while let (key, entry) = entries.first {
            entries.removeValue(forKey: key)
            try? await entry.client.shutdown()
        }
    }

    /// Shuts down the least recently used unheld clients while there are more than `capacity`.
    private func evictIdle() async {
        while entries.count > capacity,
            let (key, entry) = entries.filter({ $0.value.leases <= 0 }).min(by: {
                $0.value.lastUsed < $1.value.lastUsed
            })
        {
            entries.removeValue(forKey: key)
            try? await entry.client.shutdown()
        }
    }

    private static func key(_ serverName: String?, _ address: String) -> String {
        "\(serverName ?? "")|\(address)"
    }
}
