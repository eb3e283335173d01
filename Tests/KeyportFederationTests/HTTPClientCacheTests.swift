import KeyportTestSupport
import NIOSSL
import Testing

@testable import KeyportFederation

/// The outbound client cache: one client per address, and none left open or made after shutdown
/// (AsyncHTTPClient traps when a client is deallocated without being shut down).
@Suite struct HTTPClientCacheTests {
    /// Runs `body` with a new cache and shuts it down afterwards, also when `body` fails early, so a
    /// failing check here cannot leave a client behind to trap. Shutting down twice is harmless.
    private func withCache(_ body: (HTTPClientCache) async throws -> Void) async throws {
        let cache = HTTPClientCache(tls: .makeClientConfiguration(), connectTimeout: .seconds(1))
        try await withOwned(cache, release: { await $0.shutdown() }, body)
    }

    @Test func oneClientPerAddressAndNoneAfterShutdown() async throws {
        try await withCache { cache in
            let first = try #require(await cache.client(serverName: "a.test", address: "127.0.0.1"))
            let again = try #require(await cache.client(serverName: "a.test", address: "127.0.0.1"))
            #expect(first === again)
            _ = await cache.client(serverName: "b.test", address: "127.0.0.2")
            #expect(await cache.clients.count == 2)

            await cache.shutdown()
            #expect(await cache.clients.isEmpty)
            #expect(await cache.client(serverName: "c.test", address: "127.0.0.3") == nil)
            #expect(await cache.clients.isEmpty)
        }
    }
}
