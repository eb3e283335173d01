import KeyportServer
import KeyportServices
import MatrixModel
import Testing

/// Federation `/user/keys/claim` is limited per origin server (`rc_federation_key_claim`): every
/// claim uses up a one-time key that the peer cannot give back.
@Suite(.serialized)
struct FederationClaimLimitTests {
    @Test func claimsPastTheOriginsLimitAre429() async throws {
        let serverA = try FederatingServer()
        let serverB = try FederatingServer()
        var config = serverA.config
        config.federationKeyClaimRateLimit = RateLimit(perSecond: 0.01, burst: 2)
        try await FederationProbe.with { probe in
            try await TestServer.run(config: config) { a in
                try await Self.waitForTLS(serverA.tlsPort)
                try await serverB.run { _ in
                    let (alice, _, _) = try await FederationKeysTests.userWithKeys(a, "alice", count: 5)
                    let keyB = try serverB.signingKey()
                    let claim: JSONObject = [
                        "one_time_keys": .object([alice.userID: .object([alice.deviceID: "signed_curve25519"])])
                    ]
                    let path = "/_matrix/federation/v1/user/keys/claim"
                    for attempt in 1...2 {
                        let allowed = try await probe.signed(
                            to: serverA, from: serverB.serverName, key: keyB, method: "POST", path: path, body: claim)
                        #expect(allowed.status == 200, "claim \(attempt): \(allowed.body)")
                    }
                    let limited = try await probe.signed(
                        to: serverA, from: serverB.serverName, key: keyB, method: "POST", path: path, body: claim)
                    #expect(limited.status == 429)
                    #expect(limited.body["errcode"] == "M_LIMIT_EXCEEDED")
                    #expect((limited.body["retry_after_ms"]?.intValue ?? 0) > 0)
                    // Other federation requests from that origin are not limited by it.
                    let query = try await probe.signed(
                        to: serverA, from: serverB.serverName, key: keyB, method: "POST",
                        path: "/_matrix/federation/v1/user/keys/query",
                        body: ["device_keys": .object([alice.userID: []])])
                    #expect(query.status == 200)
                }
            }
        }
    }

    @Test func theLimitIsConfigurable() throws {
        let yaml = """
            server_name: example.org
            rc_federation_key_claim: {per_second: 3, burst_count: 7}
            """
        let (config, warnings) = try KeyportConfig.parse(yaml: yaml)
        #expect(config.federationKeyClaimRateLimit == RateLimit(perSecond: 3, burst: 7))
        #expect(warnings.isEmpty)
        let (defaults, _) = try KeyportConfig.parse(yaml: "server_name: example.org")
        #expect(defaults.federationKeyClaimRateLimit == RateLimit(perSecond: 20, burst: 100))
    }

    /// The TLS listener runs as a service and may start a moment after the client listener.
    private static func waitForTLS(_ port: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while !FreePort.accepts(port) {
            try #require(ContinuousClock.now < deadline, "the TLS listener on \(port) never started")
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
