import KeyportFederation
import KeyportTestSupport
import MatrixModel
import NIOCore
import NIOPosix
import Testing

/// DNSClient and ServerResolver over UDP against a DNS server on loopback: the in-process
/// responder, serving the same records as the real dnsmasq of ``DNSMasqInteropTests``.
@Suite struct DNSClientTests {
    static func zone() throws -> DNSZone {
        try DNSZone([
            "_matrix-fed._tcp.example.test": [
                .srv(SRVRecord(priority: 10, weight: 5, port: 8449, target: "target.example.test"))
            ],
            "_matrix._tcp.legacy.test": [
                .srv(SRVRecord(priority: 0, weight: 0, port: 8450, target: "old.example.test"))
            ],
            "_matrix-fed._tcp.multi.test": [
                .srv(SRVRecord(priority: 20, weight: 5, port: 8001, target: "b.example.test")),
                .srv(SRVRecord(priority: 10, weight: 1, port: 8002, target: "a.example.test")),
                .srv(SRVRecord(priority: 10, weight: 9, port: 8003, target: "c.example.test")),
            ],
            // A name with only an address: an SRV query gets an empty NOERROR answer.
            "_matrix-fed._tcp.address.test": [.a("127.0.0.1")],
        ])
    }

    /// The SRV answers both DNS servers (the in-process responder and dnsmasq) are given.
    static func expectSharedAnswers(_ client: DNSClient) async throws {
        #expect(
            try await client.lookupSRV("_matrix-fed._tcp.example.test") == [
                SRVRecord(priority: 10, weight: 5, port: 8449, target: "target.example.test")
            ])
        #expect(
            try await client.lookupSRV("_matrix._tcp.legacy.test") == [
                SRVRecord(priority: 0, weight: 0, port: 8450, target: "old.example.test")
            ])
        let multi = try await client.lookupSRV("_matrix-fed._tcp.multi.test").sorted { $0.port < $1.port }
        #expect(
            multi == [
                SRVRecord(priority: 20, weight: 5, port: 8001, target: "b.example.test"),
                SRVRecord(priority: 10, weight: 1, port: 8002, target: "a.example.test"),
                SRVRecord(priority: 10, weight: 9, port: 8003, target: "c.example.test"),
            ])
        #expect(try await client.lookupSRV("_matrix-fed._tcp.nothing.test") == [])
    }

    @Test func answersComeBackExactly() async throws {
        try await withDNSResponder(try Self.zone()) { dns in
            let client = dns.client()

            try await Self.expectSharedAnswers(client)
            #expect(try await client.lookupSRV("_matrix-fed._tcp.legacy.test") == [])
            #expect(try await client.lookupSRV("_matrix-fed._tcp.address.test") == [])
        }
    }

    /// Runs `body` with the port of a bound UDP socket that reads queries and never answers.
    private static func withSilentNameserver(_ body: (Int) async throws -> Void) async throws {
        let silent = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        try await withOwned(silent, release: close) { silent in
            try await body(try #require(silent.localAddress?.port))
        }
    }

    private static func close(_ channel: any Channel) async throws {
        try await channel.close()
    }

    @Test func aSilentNameserverTimesOutAndTheNextIsAsked() async throws {
        try await withDNSResponder(try Self.zone()) { dns in
            // Only `#expect` throws in here, which closure inference does not see.
            try await Self.withSilentNameserver { silentPort async throws in
                let started = ContinuousClock.now
                let client = DNSClient(
                    nameservers: [("127.0.0.1", silentPort), ("127.0.0.1", dns.port)], timeout: .milliseconds(300))
                #expect(
                    try await client.lookupSRV("_matrix-fed._tcp.example.test") == [
                        SRVRecord(priority: 10, weight: 5, port: 8449, target: "target.example.test")
                    ])
                #expect(ContinuousClock.now - started >= .milliseconds(300))

                let onlySilent = DNSClient(nameservers: [("127.0.0.1", silentPort)], timeout: .milliseconds(200))
                await #expect(throws: DNSLookupError.self) {
                    try await onlySilent.lookupSRV("_matrix-fed._tcp.example.test")
                }
            }

            await #expect(throws: DNSLookupError.self) {
                try await DNSClient(nameservers: []).lookupSRV("_matrix-fed._tcp.example.test")
            }
            await #expect(throws: DNSLookupError.self) { try await dns.client().lookupSRV("bad..name") }
        }
    }

    @Test func resolverFindsServersThroughSRV() async throws {
        try await withDNSResponder(try Self.zone()) { dns async throws in
            let resolver = ServerResolver(srv: dns.client(), wellKnown: DiscoveryWellKnownStub())

            func resolve(_ name: String) async throws -> ResolvedDestination {
                await resolver.resolve(try #require(ServerName(name)))
            }
            #expect(
                try await resolve("example.test")
                    == ResolvedDestination(
                        host: "target.example.test", port: 8449, hostHeader: "example.test",
                        tlsServerName: "example.test"))
            #expect(
                try await resolve("legacy.test")
                    == ResolvedDestination(
                        host: "old.example.test", port: 8450, hostHeader: "legacy.test", tlsServerName: "legacy.test"))
            #expect(
                try await resolve("multi.test")
                    == ResolvedDestination(
                        host: "c.example.test", port: 8003, hostHeader: "multi.test", tlsServerName: "multi.test"))
            #expect(
                try await resolve("nothing.test")
                    == ResolvedDestination(
                        host: "nothing.test", port: 8448, hostHeader: "nothing.test", tlsServerName: "nothing.test"))
        }
    }
}
