import Foundation
import Hummingbird
import KeyportServer
import KeyportServices
import MatrixModel
import Synchronization
import Testing

/// MSC3983 and MSC3984: the keys of an application service's exclusive users asked of the
/// service, against a stub service that records what it is asked and answers as told.
@Suite struct AppServiceKeyTests {
    /// The stub: records each request; `answer` decides the reply.
    final class StubService: Sendable {
        let requests = Mutex<[FakePeer.Request]>([])
        let answer: @Sendable (FakePeer.Request) async -> (status: Int, body: JSONValue)

        init(_ answer: @escaping @Sendable (FakePeer.Request) async -> (status: Int, body: JSONValue)) {
            self.answer = answer
        }

        func handle(_ request: FakePeer.Request) async -> (status: Int, body: JSONValue) {
            requests.withLock { $0.append(request) }
            return await answer(request)
        }

        var received: [FakePeer.Request] { requests.withLock { $0 } }

        var handler: FakePeer.Handler { { await self.handle($0) } }
    }

    static let claimPath = "/_matrix/app/unstable/org.matrix.msc3983/keys/claim"
    static let queryPath = "/_matrix/app/v1/keys/query"

    /// A server whose application service owns `@bridged.*` and is at `url`.
    static func config(_ directory: String, url: String?, claims: Bool, queries: Bool) throws -> KeyportConfig {
        var config = TestServer.config(dataDirectory: directory)
        config.msc3983AppServiceOTKClaims = claims
        config.msc3984AppServiceKeyQuery = queries
        config.applicationServices = [
            try .exclusive("bridge", users: "@bridged\\..*", url: url, asToken: "as-token", hsToken: "hs-token")
        ]
        return config
    }

    /// bridged.alice, registered before the service was configured (its namespace is exclusive),
    /// with one stored one-time key and a fallback key.
    static func bridgedUser(_ directory: String) async throws -> (TestUser, DeviceKeyFactory) {
        let made = Mutex<(TestUser, DeviceKeyFactory)?>(nil)
        try await TestServer.run(config: TestServer.config(dataDirectory: directory)) { client in
            let user = try await client.register("bridged.alice", deviceID: "D")
            let keys = DeviceKeyFactory(user)
            let upload = try await client.client(
                .post, "/keys/upload", token: user.token,
                body: [
                    "device_keys": keys.deviceKeys(), "one_time_keys": keys.oneTimeKeys(count: 1),
                    "fallback_keys": ["signed_curve25519:F": keys.signedKey(fallback: true)],
                ])
            try #require(upload.status == 200, "\(upload.body)")
            made.withLock { $0 = (user, keys) }
        }
        return try #require(made.withLock { $0 })
    }

    static func claim(_ client: MatrixClient, _ token: String, _ user: String, timeout: Int? = nil) async throws
        -> MatrixClient.Reply
    {
        var body: JSONObject = ["one_time_keys": .object([user: ["D": "signed_curve25519"]])]
        if let timeout { body["timeout"] = .int(Int64(timeout)) }
        return try await client.client(.post, "/keys/claim", token: token, body: .object(body))
    }

    /// The key ID a claim answer hands out for bridged.alice's device D.
    static func claimedKeyID(_ reply: MatrixClient.Reply, _ user: String) -> String? {
        reply["one_time_keys"]?[user]?["D"]?.objectValue?.keys.first
    }

    @Test func claimsUseStoredKeysThenTheServiceThenTheFallback() async throws {
        let directory = TestServer.temporaryDirectory()
        let (alice, keys) = try await Self.bridgedUser(directory)
        let serviceKeys = Mutex(1)
        let stub = StubService { request in
            guard request.path == Self.claimPath else { return (404, ["errcode": "M_UNRECOGNIZED"]) }
            let remaining = serviceKeys.withLock { count in
                defer { count -= 1 }
                return count
            }
            guard remaining > 0 else { return (200, [:]) }
            return (
                200,
                .object([
                    alice.userID: [
                        "D": ["signed_curve25519:FROM_SERVICE": keys.signedKey()], "NOT_ASKED": ["x:y": "z"],
                    ]
                ])
            )
        }
        try await FakePeer.run(stub.handler) { peer in
            let config = try Self.config(directory, url: "http://\(peer)", claims: true, queries: false)
            try await TestServer.run(config: config) { client in
                let bob = try await client.register("bob")

                // The stored one-time key goes first: the service is not asked.
                let first = try await Self.claim(client, bob.token, alice.userID)
                #expect(Self.claimedKeyID(first, alice.userID) == "signed_curve25519:AAAA0", "\(first.body)")
                #expect(stub.received.isEmpty)

                // None left: the service is asked, at the stable path and then the unstable one,
                // with Synapse's body; what it was not asked for is dropped.
                let second = try await Self.claim(client, bob.token, alice.userID)
                #expect(Self.claimedKeyID(second, alice.userID) == "signed_curve25519:FROM_SERVICE", "\(second.body)")
                #expect(second["one_time_keys"]?[alice.userID]?["NOT_ASKED"] == nil)
                #expect(stub.received.map(\.path) == ["/_matrix/app/v1/keys/claim", Self.claimPath])
                #expect(stub.received.last?.body == [alice.userID: ["D": ["signed_curve25519"]]])
                let session = try await client.login(alice, deviceID: "D")
                let sync = try await client.client(.get, "/sync?timeout=0", token: session.token)
                #expect(
                    sync["device_unused_fallback_key_types"] == ["signed_curve25519"],
                    "the fallback key was not used while the service had keys")

                // The service has none left: the stored fallback key.
                let third = try await Self.claim(client, bob.token, alice.userID)
                #expect(Self.claimedKeyID(third, alice.userID) == "signed_curve25519:F", "\(third.body)")

                // A user outside the namespace is never the service's business.
                let before = stub.received.count
                let plain = try await client.register("carol", deviceID: "D")
                _ = try await Self.claim(client, bob.token, plain.userID)
                #expect(stub.received.count == before)
            }
        }
    }

    /// A service that does not answer within the request's `timeout` is as one with no keys.
    @Test func aSlowServiceGivesWayToTheFallbackWithinTheTimeout() async throws {
        let directory = TestServer.temporaryDirectory()
        let (alice, _) = try await Self.bridgedUser(directory)
        let stub = StubService { _ in
            try? await Task.sleep(for: .seconds(5))
            return (200, [:])
        }
        try await FakePeer.run(stub.handler) { peer in
            let config = try Self.config(directory, url: "http://\(peer)", claims: true, queries: false)
            try await TestServer.run(config: config) { client in
                let bob = try await client.register("bob")
                _ = try await Self.claim(client, bob.token, alice.userID)  // the stored one-time key
                let started = ContinuousClock.now
                let reply = try await Self.claim(client, bob.token, alice.userID, timeout: 500)
                let took = ContinuousClock.now - started
                #expect(Self.claimedKeyID(reply, alice.userID) == "signed_curve25519:F", "\(reply.body)")
                #expect(took < .seconds(3), "the claim waited \(took) for a service given 500 ms")
                #expect(stub.received.count == 1, "the service was asked")
            }
        }
    }

    /// A service that refuses connections is down: the fallback key comes at once, not after
    /// the claim's whole `timeout` spent reconnecting.
    @Test func aServiceThatRefusesConnectionsGivesWayAtOnce() async throws {
        let directory = TestServer.temporaryDirectory()
        let (alice, _) = try await Self.bridgedUser(directory)
        // Port 9 (discard) on loopback: nothing listens there on a test machine.
        let config = try Self.config(directory, url: "http://127.0.0.1:9", claims: true, queries: false)
        try await TestServer.run(config: config) { client in
            let bob = try await client.register("bob")
            _ = try await Self.claim(client, bob.token, alice.userID)  // the stored one-time key
            let started = ContinuousClock.now
            let reply = try await Self.claim(client, bob.token, alice.userID, timeout: 10_000)
            let took = ContinuousClock.now - started
            #expect(Self.claimedKeyID(reply, alice.userID) == "signed_curve25519:F", "\(reply.body)")
            // Refused connections retried cost min(timeout, 5 s); at once is well under that, even under load.
            #expect(took < .seconds(4), "the claim spent \(took) on a service refusing connections")
        }
    }

    @Test func queriesMergeTheServicesCheckedKeys() async throws {
        let bridged = "@bridged.bob:test.local"
        let good = DeviceKeyFactory(userID: bridged, deviceID: "GOOD")
        let forged = DeviceKeyFactory(userID: "@someone.else:test.local", deviceID: "FORGED")
        let master = CrossSigningKeyFactory(userID: bridged, usage: "master")
        let selfSigning = CrossSigningKeyFactory(userID: bridged, usage: "self_signing")
        let failing = Mutex(false)
        let stub = StubService { request in
            guard request.path == Self.queryPath else { return (404, ["errcode": "M_UNRECOGNIZED"]) }
            if failing.withLock({ $0 }) { return (500, ["errcode": "M_UNKNOWN"]) }
            return (
                200,
                [
                    "device_keys": .object([
                        bridged: .object(["GOOD": good.deviceKeys(), "FORGED": forged.deviceKeys()])
                    ]),
                    "master_keys": .object([bridged: master.object()]),
                    "self_signing_keys": .object([bridged: selfSigning.object(signedBy: master)]),
                ]
            )
        }
        try await FakePeer.run(stub.handler) { peer in
            let config = try Self.config(
                TestServer.temporaryDirectory(), url: "http://\(peer)", claims: false, queries: true)
            try await TestServer.run(config: config) { client in
                let carol = try await client.register("carol")
                let query: JSONValue = ["device_keys": .object([bridged: [], carol.userID: []])]
                let reply = try await client.client(.post, "/keys/query", token: carol.token, body: query)
                #expect(reply.status == 200)
                #expect(reply["device_keys"]?[bridged]?["GOOD"] == good.deviceKeys())
                #expect(reply["device_keys"]?[bridged]?["FORGED"] == nil, "keys naming another user are dropped")
                #expect(reply["master_keys"]?[bridged] == master.object())
                #expect(reply["self_signing_keys"]?[bridged] == selfSigning.object(signedBy: master))
                #expect(reply["failures"] == [:])
                #expect(stub.received.map(\.body) == [[bridged: []]], "only the service's user is asked about")

                failing.withLock { $0 = true }
                let refused = try await client.client(.post, "/keys/query", token: carol.token, body: query)
                #expect(refused.status == 200)
                #expect(refused["failures"]?["test.local"]?["status"] == 503, "\(refused.body)")
                #expect(refused["device_keys"]?[carol.userID] != nil, "the rest of the answer stands")
            }
        }
    }
}
