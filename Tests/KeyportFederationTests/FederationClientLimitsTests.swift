import KeyportServices
import KeyportTestSupport
import Logging
import MatrixModel
import MatrixSigning
import Testing

@testable import KeyportFederation

/// The federation client against a plain-HTTP server on loopback: where it may connect, and how
/// much of an answer it reads.
@Suite struct FederationClientLimitsTests {
    struct NoSRV: SRVResolving {
        func lookupSRV(_ name: String) async throws -> [SRVRecord] { [] }
    }

    struct NoWellKnown: WellKnownFetching {
        func fetch(hostname: String) async -> (result: WellKnownResult, cacheFor: Duration) { (.none, .seconds(60)) }
    }

    /// A client speaking plain HTTP with `settings`, run for `body` and shut down.
    static func withClient(
        _ settings: FederationClientSettings, _ body: (FederationClient, FederationConnections) async throws -> Void
    ) async throws {
        let identity = ServerIdentity(serverName: ServerName("origin.test")!, signingKey: SigningKey.generate())
        let connections = FederationConnections(settings: settings, scheme: "http")
        let client = FederationClient(
            identity: identity, resolver: ServerResolver(srv: NoSRV(), wellKnown: NoWellKnown()),
            connections: connections, logger: Logger(label: "test"))
        try await withOwned(client, release: { await $0.shutdown() }, { try await body($0, connections) })
    }

    static func open(maxBytesInFlight: Int = FederationResponseLimit.bytesInFlight) throws -> FederationClientSettings {
        FederationClientSettings(
            blacklist: try IPRangeSet([]), whitelist: try IPRangeSet([]), maxBytesInFlight: maxBytesInFlight)
    }

    /// `{"pad": "xxx…"}` of about `size` bytes.
    static func padded(_ size: Int) -> String {
        #"{"pad": ""# + String(repeating: "x", count: size) + #""}"#
    }

    @Test func aForgedOriginOfZeroAddressesIsNotContacted() async throws {
        try await withStaticHTTPServer(routes: ["/_matrix/key/v2/server": .init(body: #"{"a": 1}"#)]) { server in
            // The default blacklist, as a server runs with; 0.0.0.0 and [::] reach 127.0.0.1 on Linux.
            let settings = FederationClientSettings(
                blacklist: try IPRangeSet(IPRangeSet.defaultBlacklist), whitelist: try IPRangeSet([]))
            try await Self.withClient(settings) { client, _ in
                for origin in ["0.0.0.0:\(server.port)", "[::]:\(server.port)", "[::ffff:0.0.0.0]:\(server.port)"] {
                    await #expect(throws: FederationError.self, "\(origin)") {
                        _ = try await client.request(
                            origin, method: "GET", path: "/_matrix/key/v2/server", maxResponseBytes: 1024)
                    }
                }
            }
            // The same request to an allowed address goes through, so the refusal above is the check's.
            try await Self.withClient(try Self.open()) { client, _ in
                let answer = try await client.request(
                    "127.0.0.1:\(server.port)", method: "GET", path: "/_matrix/key/v2/server", maxResponseBytes: 1024)
                #expect(answer["a"] == 1)
            }
        }
    }

    @Test func theConnectionGoesToTheCheckedAddress() async throws {
        try await withStaticHTTPServer(routes: ["/x": .init(body: #"{"ok": true}"#)]) { server in
            // "rebind.test" has no address in the system resolver: the request can only arrive if the
            // client connects to the address it looked up (once) and checked.
            let lookups = LookupCounter()
            var settings = try Self.open()
            settings.lookup = { host throws(FederationError) in
                await lookups.count(host)
                return [[127, 0, 0, 1]]
            }
            try await Self.withClient(settings) { client, _ in
                let answer = try await client.request(
                    "rebind.test:\(server.port)", method: "GET", path: "/x", maxResponseBytes: 1024)
                #expect(answer["ok"] == true)
            }
            #expect(await lookups.hosts == ["rebind.test"])
        }
    }

    @Test func answersOverTheirKindsLimitAreRefused() async throws {
        try await withStaticHTTPServer(routes: ["/big": .init(body: Self.padded(300_000))]) { server in
            try await Self.withClient(try Self.open()) { client, connections in
                do throws(FederationError) {
                    _ = try await client.request(
                        "127.0.0.1:\(server.port)", method: "GET", path: "/big", maxResponseBytes: 100_000)
                    Issue.record("a 300 kB answer passed a 100 kB limit")
                } catch {
                    guard case .tooLarge = error else {
                        Issue.record("expected tooLarge, got \(error)")
                        return
                    }
                }
                let whole = try await client.request(
                    "127.0.0.1:\(server.port)", method: "GET", path: "/big", maxResponseBytes: 1 << 20)
                #expect(whole["pad"]?.stringValue?.utf8.count == 300_000)
                #expect(await connections.budget.inUse == 0, "every reservation is given back")
            }
        }
        #expect(FederationResponseLimit.serverKeys <= 1 << 20)
        #expect(FederationResponseLimit.userDevices <= 8 << 20)
        #expect(FederationResponseLimit.keysQuery <= 16 << 20)
        #expect(FederationResponseLimit.keysClaim <= 4 << 20)
        #expect(FederationResponseLimit.transaction <= 1 << 20)
    }

    @Test func aSmallAnswerTakesOnlyItsOwnBytesOfTheBudget() async throws {
        try await withStaticHTTPServer(routes: ["/small": .init(body: #"{"pdus": {}}"#)]) { server in
            try await Self.withClient(try Self.open(maxBytesInFlight: 1 << 20)) { client, connections in
                // Other answers hold all but 1 KiB: a 12-byte answer still fits (thousands of
                // destinations answering `PUT /send` at once must not run the budget out).
                #expect(await connections.budget.reserve((1 << 20) - 1024))
                let answer = try await client.request(
                    "127.0.0.1:\(server.port)", method: "GET", path: "/small", maxResponseBytes: 1 << 20)
                #expect(answer["pdus"] != nil)
                #expect(await connections.budget.inUse == (1 << 20) - 1024)
                await connections.budget.release((1 << 20) - 1024)
            }
        }
    }

    @Test func bytesInFlightAcrossRequestsAreCapped() async throws {
        try await withStaticHTTPServer(routes: ["/mid": .init(body: Self.padded(200_000))]) { server in
            try await Self.withClient(try Self.open(maxBytesInFlight: 1 << 20)) { client, connections in
                // Another request is reading 900 kB: this one's 200 kB would take the total past 1 MiB.
                #expect(await connections.budget.reserve(900_000))
                do throws(FederationError) {
                    _ = try await client.request(
                        "127.0.0.1:\(server.port)", method: "GET", path: "/mid", maxResponseBytes: 1 << 20)
                    Issue.record("an answer went past the budget of bytes in flight")
                } catch {
                    guard case .overloaded = error else {
                        Issue.record("expected overloaded, got \(error)")
                        return
                    }
                }
                #expect(await connections.budget.inUse == 900_000, "the refused answer gave its bytes back")
                await connections.budget.release(900_000)
                let answer = try await client.request(
                    "127.0.0.1:\(server.port)", method: "GET", path: "/mid", maxResponseBytes: 1 << 20)
                #expect(answer["pad"] != nil)
                #expect(await connections.budget.inUse == 0)
            }
        }
    }
}

/// Records the hosts looked up.
actor LookupCounter {
    private(set) var hosts: [String] = []

    func count(_ host: String) {
        hosts.append(host)
    }
}

extension Result where Failure == any Error {
    init(_ body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
