import Hummingbird
import KeyportServer
import KeyportServices
import MatrixModel
import Testing

/// `x_forwarded` on a listener: behind a reverse proxy the client's address is the first entry of
/// `X-Forwarded-For`, for last-seen addresses and per-address rate limits; elsewhere the header is
/// ignored, since any client could write it.
@Suite struct ForwardedForTests {
    private static func forwarded(_ address: String) -> HTTPFields {
        var headers: HTTPFields = [:]
        headers.append(.init(name: .init("X-Forwarded-For")!, value: "\(address), 10.9.9.9"))
        return headers
    }

    private static func config(trusting: Bool) -> KeyportConfig {
        var config = TestServer.config(dataDirectory: TestServer.temporaryDirectory())
        config.listeners = [.init(port: 0, xForwarded: trusting)]
        config.loginRateLimit = RateLimit(perSecond: 0.001, burst: 1)
        return config
    }

    private static func login(_ client: MatrixClient, _ user: TestUser, from address: String) async throws -> Int {
        let body: JSONValue = [
            "type": "m.login.password", "identifier": ["type": "m.id.user", "user": .string(user.userID)],
            "password": .string(user.password),
        ]
        return try await client.request(
            .post, "/_matrix/client/v3/login", body: body, headers: forwarded(address)
        ).status
    }

    @Test func aTrustingListenerTakesTheClientFromTheHeader() async throws {
        try await TestServer.run(config: Self.config(trusting: true)) { client in
            let alice = try await client.register("alice", deviceID: "PHONE")
            let shown = try await client.request(
                .get, "/_matrix/client/v3/devices/PHONE", token: alice.token, headers: Self.forwarded("203.0.113.9"))
            #expect(shown["last_seen_ip"] == "203.0.113.9")
            // Each forwarded client has its own login bucket (burst 1).
            #expect(try await Self.login(client, alice, from: "198.51.100.1") == 200)
            #expect(try await Self.login(client, alice, from: "198.51.100.1") == 429)
            #expect(try await Self.login(client, alice, from: "198.51.100.2") == 200)
        }
    }

    @Test func otherListenersIgnoreTheHeader() async throws {
        try await TestServer.run(config: Self.config(trusting: false)) { client in
            let alice = try await client.register("alice", deviceID: "PHONE")
            let shown = try await client.request(
                .get, "/_matrix/client/v3/devices/PHONE", token: alice.token, headers: Self.forwarded("203.0.113.9"))
            #expect(shown["last_seen_ip"] == "127.0.0.1")
            #expect(try await Self.login(client, alice, from: "198.51.100.1") == 200)
            #expect(try await Self.login(client, alice, from: "198.51.100.2") == 429)
        }
    }
}
