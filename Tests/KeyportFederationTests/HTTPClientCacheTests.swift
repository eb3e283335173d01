import NIOSSL
import Testing

@testable import KeyportFederation

/// The outbound client cache: one client per address, and none left open or made after shutdown
/// (AsyncHTTPClient traps when a client is deallocated without being shut down).
@Suite struct HTTPClientCacheTests {
    @Test func oneClientPerAddressAndNoneAfterShutdown() async throws {
        let cache = HTTPClientCache(tls: .makeClientConfiguration(), connectTimeout: .seconds(1))
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
