import Foundation
import KeyportFederation
import MatrixModel
import Testing

/// SRV answers from a table; names in `failing` throw, as a DNS error would.
struct DiscoverySRVStub: SRVResolving {
    var records: [String: [SRVRecord]] = [:]
    var failing: Set<String> = []

    func lookupSRV(_ name: String) async throws -> [SRVRecord] {
        if failing.contains(name) { throw DNSLookupError.timedOut }
        return records[name] ?? []
    }
}

/// Well-known answers from a table (`.none` for one hour otherwise), counting fetches.
actor DiscoveryWellKnownStub: WellKnownFetching {
    private let answers: [String: WellKnownResult]
    private let cacheFor: Duration
    private(set) var fetched: [String] = []

    init(_ answers: [String: WellKnownResult] = [:], cacheFor: Duration = .seconds(3600)) {
        self.answers = answers
        self.cacheFor = cacheFor
    }

    func fetch(hostname: String) async -> (result: WellKnownResult, cacheFor: Duration) {
        fetched.append(hostname)
        return (answers[hostname] ?? .none, cacheFor)
    }
}

/// A clock that moves only when told to.
final class DiscoveryClock: @unchecked Sendable {
    private let lock = NSLock()
    private var instant = ContinuousClock.now

    var now: ContinuousClock.Instant { lock.withLock { instant } }

    func advance(by duration: Duration) {
        lock.withLock { instant += duration }
    }
}

@Suite struct ServerResolverTests {
    private func resolve(
        _ name: String, srv: DiscoverySRVStub = DiscoverySRVStub(), wellKnown: [String: WellKnownResult] = [:]
    ) async throws -> ResolvedDestination {
        let resolver = ServerResolver(srv: srv, wellKnown: DiscoveryWellKnownStub(wellKnown))
        return await resolver.resolve(try #require(ServerName(name)))
    }

    private func destination(_ host: String, _ port: Int, _ hostHeader: String, _ sni: String?) -> ResolvedDestination {
        ResolvedDestination(host: host, port: port, hostHeader: hostHeader, tlsServerName: sni)
    }

    /// SRV records everywhere, to show the early steps never look at them.
    private let decoySRV = DiscoverySRVStub(records: [
        "_matrix-fed._tcp.example.org": [SRVRecord(priority: 0, weight: 0, port: 1, target: "decoy.example.org")],
        "_matrix-fed._tcp.delegate.example.net": [SRVRecord(priority: 0, weight: 0, port: 2, target: "decoy.net")],
    ])

    @Test func ipLiteralsUseTheirPortOr8448WithoutSNI() async throws {
        let wellKnown: [String: WellKnownResult] = ["1.2.3.4": .delegated("elsewhere.org")]
        #expect(try await resolve("1.2.3.4", wellKnown: wellKnown) == destination("1.2.3.4", 8448, "1.2.3.4", nil))
        #expect(try await resolve("1.2.3.4:8000") == destination("1.2.3.4", 8000, "1.2.3.4:8000", nil))
        #expect(try await resolve("[2001:db8::1]") == destination("2001:db8::1", 8448, "[2001:db8::1]", nil))
        #expect(try await resolve("[::1]:9000") == destination("::1", 9000, "[::1]:9000", nil))
    }

    @Test func explicitPortSkipsWellKnownAndSRV() async throws {
        let stub = DiscoveryWellKnownStub(["example.org": .delegated("delegate.example.net")])
        let resolver = ServerResolver(srv: decoySRV, wellKnown: stub)
        let resolved = await resolver.resolve(try #require(ServerName("example.org:8000")))
        #expect(resolved == destination("example.org", 8000, "example.org:8000", "example.org"))
        #expect(await stub.fetched.isEmpty)
    }

    @Test func delegationToAnIPLiteral() async throws {
        let v4 = try await resolve("example.org", srv: decoySRV, wellKnown: ["example.org": .delegated("5.6.7.8")])
        #expect(v4 == destination("5.6.7.8", 8448, "5.6.7.8", nil))
        let v6 = try await resolve("example.org", wellKnown: ["example.org": .delegated("[2001:db8::2]:9000")])
        #expect(v6 == destination("2001:db8::2", 9000, "[2001:db8::2]:9000", nil))
    }

    @Test func delegationWithAPort() async throws {
        let resolved = try await resolve(
            "example.org", srv: decoySRV, wellKnown: ["example.org": .delegated("delegate.example.net:443")])
        #expect(
            resolved == destination("delegate.example.net", 443, "delegate.example.net:443", "delegate.example.net"))
    }

    @Test func delegationUsesTheDelegatesSRVRecords() async throws {
        let wellKnown: [String: WellKnownResult] = ["example.org": .delegated("delegate.example.net")]
        let resolved = try await resolve("example.org", srv: decoySRV, wellKnown: wellKnown)
        #expect(resolved == destination("decoy.net", 2, "delegate.example.net", "delegate.example.net"))

        let legacy = DiscoverySRVStub(records: [
            "_matrix._tcp.delegate.example.net": [SRVRecord(priority: 0, weight: 0, port: 8555, target: "old.net.")]
        ])
        let viaLegacy = try await resolve("example.org", srv: legacy, wellKnown: wellKnown)
        #expect(viaLegacy == destination("old.net", 8555, "delegate.example.net", "delegate.example.net"))

        let none = try await resolve("example.org", wellKnown: wellKnown)
        #expect(none == destination("delegate.example.net", 8448, "delegate.example.net", "delegate.example.net"))
    }

    @Test func srvWithoutDelegation() async throws {
        let srv = DiscoverySRVStub(records: [
            "_matrix-fed._tcp.example.org": [
                SRVRecord(priority: 20, weight: 100, port: 1001, target: "backup.example.org."),
                SRVRecord(priority: 10, weight: 1, port: 1002, target: "light.example.org."),
                SRVRecord(priority: 10, weight: 50, port: 1003, target: "heavy.example.org."),
            ],
            "_matrix._tcp.example.org": [SRVRecord(priority: 0, weight: 0, port: 1004, target: "legacy.example.org")],
        ])
        let resolved = try await resolve("example.org", srv: srv)
        #expect(resolved == destination("heavy.example.org", 1003, "example.org", "example.org"))

        let legacyOnly = DiscoverySRVStub(records: [
            "_matrix._tcp.example.org": [SRVRecord(priority: 0, weight: 0, port: 1004, target: "legacy.example.org")]
        ])
        #expect(
            try await resolve("example.org", srv: legacyOnly)
                == destination("legacy.example.org", 1004, "example.org", "example.org"))
    }

    @Test func noRecordsFallsBackTo8448() async throws {
        let plain = destination("example.org", 8448, "example.org", "example.org")
        #expect(try await resolve("example.org") == plain)
        let failing = DiscoverySRVStub(failing: ["_matrix-fed._tcp.example.org", "_matrix._tcp.example.org"])
        #expect(try await resolve("example.org", srv: failing) == plain)
        let notOffered = DiscoverySRVStub(records: [
            "_matrix-fed._tcp.example.org": [SRVRecord(priority: 0, weight: 0, port: 0, target: ".")]
        ])
        #expect(try await resolve("example.org", srv: notOffered) == plain)
    }

    @Test func anSRVErrorFallsThroughToTheLegacyName() async throws {
        let srv = DiscoverySRVStub(
            records: [
                "_matrix._tcp.example.org": [SRVRecord(priority: 0, weight: 0, port: 7, target: "old.example.org")]
            ],
            failing: ["_matrix-fed._tcp.example.org"])
        #expect(
            try await resolve("example.org", srv: srv)
                == destination("old.example.org", 7, "example.org", "example.org"))
    }

    @Test func wellKnownAnswersAreCachedForTheirLifetime() async throws {
        let clock = DiscoveryClock()
        let stub = DiscoveryWellKnownStub(
            ["example.org": .delegated("delegate.example.net:443")], cacheFor: .seconds(600))
        let resolver = ServerResolver(srv: DiscoverySRVStub(), wellKnown: stub, now: { clock.now })
        let name = try #require(ServerName("example.org"))
        let expected = destination("delegate.example.net", 443, "delegate.example.net:443", "delegate.example.net")

        #expect(await resolver.resolve(name) == expected)
        clock.advance(by: .seconds(599))
        #expect(await resolver.resolve(name) == expected)
        #expect(await stub.fetched == ["example.org"])

        clock.advance(by: .seconds(2))
        #expect(await resolver.resolve(name) == expected)
        #expect(await stub.fetched == ["example.org", "example.org"])

        _ = await resolver.resolve(try #require(ServerName("other.example.org")))
        _ = await resolver.resolve(try #require(ServerName("other.example.org")))
        #expect(await stub.fetched == ["example.org", "example.org", "other.example.org"])
    }
}
