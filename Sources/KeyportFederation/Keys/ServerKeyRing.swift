public import KeyportServices
public import KeyportStore
public import Logging
public import MatrixModel

/// Other servers' signing keys: from memory, else from the durable cache, else fetched from the
/// server's own `/_matrix/key/v2/server` and checked (name, validity, self-signature). A key is
/// used for requests only while its `valid_until_ts` is in the future.
///
/// Every inbound request names its origin, and anyone can make one up, so what is kept in memory
/// per server is bounded: the keys of at most `capacity` servers (the least recently used are
/// dropped, and read again from the store when needed) and as many fetch times.
public actor ServerKeyRing {
    let store: any ServerKeyStore
    let fetcher: @Sendable (String) async throws -> JSONObject
    let clock: ServerClock
    let logger: Logger
    /// Keys by server and key ID; an empty map for a server the store knows nothing of.
    var cache: BoundedCache<String, [String: ServerKeyRecord]>
    /// When each server's keys were last fetched: a miss refetches at most every 10 seconds, so a
    /// flood of requests with made-up key IDs cannot turn into a flood of fetches.
    var lastFetch: BoundedCache<String, Int64>
    var fetches: [String: Task<Void, Never>] = [:]
    static let refetchInterval: Int64 = 10_000
    /// Servers whose keys and fetch times are kept in memory, by default.
    public static let defaultCapacity = 10_000

    public init(
        store: any ServerKeyStore, clock: ServerClock, logger: Logger, capacity: Int = defaultCapacity,
        fetcher: @escaping @Sendable (String) async throws -> JSONObject
    ) {
        self.store = store
        self.clock = clock
        self.logger = logger
        self.fetcher = fetcher
        self.cache = BoundedCache(capacity: capacity)
        self.lastFetch = BoundedCache(capacity: capacity)
    }

    /// The public key (unpadded base64) of `keyID` of `serverName`, valid now; nil if none.
    public func currentKey(serverName: String, keyID: String) async -> String? {
        let now = clock.now()
        if let key = await cachedKey(serverName: serverName, keyID: keyID), key.expiredTS == nil,
            key.validUntilTS > now
        {
            return key.publicKey
        }
        if let running = fetches[serverName] {
            await running.value
        } else {
            if let last = lastFetch[serverName], now - last < Self.refetchInterval { return nil }
            lastFetch[serverName] = now
            let task = Task { await self.fetch(serverName, now: now) }
            fetches[serverName] = task
            await task.value
            fetches[serverName] = nil
        }
        guard let key = cache[serverName]?[keyID], key.expiredTS == nil, key.validUntilTS > now else { return nil }
        return key.publicKey
    }

    /// The public key of `keyID` of `serverName` that may check something signed at `timestamp`
    /// (an event's `origin_server_ts`): a current key valid until then or later, or an old key
    /// that expired after it. Fetched like ``currentKey(serverName:keyID:)`` when unknown.
    public func key(serverName: String, keyID: String, validAt timestamp: Int64) async -> String? {
        func usable(_ key: ServerKeyRecord?) -> Bool {
            guard let key else { return false }
            if let expired = key.expiredTS { return expired > timestamp }
            return key.validUntilTS >= timestamp
        }
        if let key = await cachedKey(serverName: serverName, keyID: keyID), usable(key) { return key.publicKey }
        _ = await currentKey(serverName: serverName, keyID: keyID)
        let key = cache[serverName]?[keyID]
        return usable(key) ? key?.publicKey : nil
    }

    /// Fetches, checks and caches a server's keys. Concurrent callers share one fetch.
    private func fetch(_ serverName: String, now: Int64) async {
        do {
            let document = try await fetcher(serverName)
            guard let records = ServerKeyDocument.verify(document, serverName: serverName, now: now) else {
                logger.warning("server key response failed its checks", metadata: ["server": "\(serverName)"])
                return
            }
            try await store.storeServerKeys(records)
            var keys = cache[serverName] ?? [:]
            for record in records { keys[record.keyID] = record }
            cache[serverName] = keys
        } catch {
            logger.warning("cannot fetch server keys", metadata: ["server": "\(serverName)", "error": "\(error)"])
        }
    }

    private func cachedKey(serverName: String, keyID: String) async -> ServerKeyRecord? {
        if let keys = cache[serverName] { return keys[keyID] }
        guard let stored = try? await store.serverKeys(serverName: serverName) else { return nil }
        var keys: [String: ServerKeyRecord] = [:]
        for record in stored { keys[record.keyID] = record }
        cache[serverName] = keys
        return keys[keyID]
    }
}
