import KeyportServices
import KeyportStore
import Logging
import MatrixModel
import Testing

@testable import KeyportFederation

/// What any peer can make this server remember (by naming made-up origins in `X-Matrix`, or
/// made-up server names anywhere) stays bounded.
@Suite struct ForcedMemoryBoundsTests {
    /// A key store that knows no server.
    struct EmptyKeyStore: ServerKeyStore {
        func storeServerKeys(_ keys: [ServerKeyRecord]) async throws {}
        func serverKeys(serverName: String) async throws -> [ServerKeyRecord] { [] }
    }

    struct Unreachable: Error {}

    @Test func aFloodOfMadeUpOriginsLeavesTheKeyRingBounded() async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let ring = ServerKeyRing(
            store: EmptyKeyStore(), clock: ServerClock { 1_000_000 }, logger: logger, capacity: 100
        ) { _ in throw Unreachable() }
        for index in 0..<1_000 {
            #expect(await ring.currentKey(serverName: "made-up-\(index).example", keyID: "ed25519:x") == nil)
        }
        #expect(await ring.cache.count <= 100)
        #expect(await ring.lastFetch.count <= 100)
        #expect(await ring.fetches.isEmpty)
        // The most recent origins are still remembered: an immediate retry is not refetched.
        #expect(await ring.lastFetch.contains("made-up-999.example"))
    }

    @Test func boundedCacheDropsTheLeastRecentlyUsed() {
        var cache = BoundedCache<String, Int>(capacity: 8)
        for index in 0..<8 { cache["k\(index)"] = index }
        _ = cache["k0"]  // used again: it outlives k1…
        cache["k8"] = 8
        #expect(cache.count <= 8)
        #expect(cache.contains("k0"))
        #expect(!cache.contains("k1"))
        #expect(cache.contains("k8"))
        for index in 9..<1_000 { cache["k\(index)"] = index }
        #expect(cache.count <= 8)
    }

    @Test func theWellKnownCacheIsBounded() async throws {
        let resolver = ServerResolver(srv: DiscoverySRVStub(), wellKnown: DiscoveryWellKnownStub())
        for index in 0..<(ServerResolver.cacheCapacity + 500) {
            _ = await resolver.resolve(try #require(ServerName("made-up-\(index).example")))
        }
        #expect(await resolver.cachedHostnames <= ServerResolver.cacheCapacity)
    }
}
