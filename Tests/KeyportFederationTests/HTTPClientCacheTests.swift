import KeyportTestSupport
import NIOSSL
import Testing

@testable import KeyportFederation

/// The outbound client cache: one client per address, and none left open or made after shutdown
/// (AsyncHTTPClient traps when a client is deallocated without being shut down), and no more than
/// its capacity however many server names are made up.
@Suite struct HTTPClientCacheTests {
    /// Runs `body` with a new cache and shuts it down afterwards, also when `body` fails early, so a
    /// failing check here cannot leave a client behind to trap. Shutting down twice is harmless.
    private func withCache(capacity: Int = 256, _ body: (HTTPClientCache) async throws -> Void) async throws {
        let cache = HTTPClientCache(tls: .makeClientConfiguration(), connectTimeout: .seconds(1), capacity: capacity)
        try await withOwned(cache, release: { await $0.shutdown() }, body)
    }

    @Test func oneClientPerAddressAndNoneAfterShutdown() async throws {
        try await withCache { cache in
            let first = try #require(await cache.lease(serverName: "a.test", address: "127.0.0.1"))
            let again = try #require(await cache.lease(serverName: "a.test", address: "127.0.0.1"))
            #expect(first === again)
            #expect(await cache.entries["a.test|127.0.0.1"]?.leases == 2)
            _ = await cache.lease(serverName: "b.test", address: "127.0.0.2")
            #expect(await cache.entries.count == 2)

            await cache.shutdown()
            #expect(await cache.entries.isEmpty)
            #expect(await cache.lease(serverName: "c.test", address: "127.0.0.3") == nil)
            #expect(await cache.entries.isEmpty)
        }
    }

    @Test func theClientCacheKeepsAtMostItsCapacity() async throws {
        try await withCache(capacity: 4) { cache in
            let held = try #require(await cache.lease(serverName: "held.test", address: "127.0.0.1"))
            for index in 0..<20 {
                _ = await cache.lease(serverName: "s\(index).test", address: "127.0.0.\(index + 2)")
                await cache.release(serverName: "s\(index).test", address: "127.0.0.\(index + 2)")
            }
            #expect(await cache.entries.count <= 4)
            // A client in use is never shut down under a request.
            #expect(await cache.entries["held.test|127.0.0.1"]?.client === held)
        }
    }

    @Test func theLeastRecentlyUsedIdleClientGoesFirst() async throws {
        try await withCache(capacity: 3) { cache in
            for name in ["a", "b", "c", "a"] {
                _ = await cache.lease(serverName: "\(name).test", address: "127.0.0.1")
                await cache.release(serverName: "\(name).test", address: "127.0.0.1")
            }
            _ = await cache.lease(serverName: "d.test", address: "127.0.0.1")
            #expect(Set(await cache.entries.keys) == ["a.test|127.0.0.1", "c.test|127.0.0.1", "d.test|127.0.0.1"])
        }
    }
}
