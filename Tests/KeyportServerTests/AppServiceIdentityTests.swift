import Foundation
import Hummingbird
import KeyportServer
import KeyportServices
import MatrixModel
import Testing

/// Identity assertion: an application service's `as_token` on any authenticated route acts as its
/// sender, or as `?user_id=` within its namespaces, on the device `?device_id=` names or on none;
/// every route and service sees that one identity.
@Suite struct AppServiceIdentityTests {
    static func config() throws -> KeyportConfig {
        var config = TestServer.config(dataDirectory: TestServer.temporaryDirectory())
        config.applicationServices = [
            try .exclusive("bridge", users: "@_bridge_.*")
        ]
        return config
    }

    /// `path` with the service's identity assertion appended.
    static func acting(
        _ path: String, as userID: String? = nil, device: String? = nil, deviceParameter: String = "device_id"
    )
        -> String
    {
        var parameters: [String] = []
        if let userID { parameters.append("user_id=\(queryEncoded(userID))") }
        if let device { parameters.append("\(deviceParameter)=\(queryEncoded(device))") }
        guard !parameters.isEmpty else { return path }
        return path + (path.contains("?") ? "&" : "?") + parameters.joined(separator: "&")
    }

    /// Registers a user of the service with no device and returns its ID.
    static func registerBridged(_ client: MatrixClient, _ username: String) async throws -> String {
        let reply = try await client.client(
            .post, "/register", token: "as-bridge",
            body: ["type": "m.login.application_service", "username": .string(username), "inhibit_login": true])
        try #require(reply.status == 200, "\(reply.body)")
        return try #require(reply["user_id"]?.stringValue)
    }

    @Test func theServiceActsAsItsSenderOrAsARegisteredUserOfItsNamespace() async throws {
        try await TestServer.run(config: try Self.config()) { client in
            let sender = try await client.client(.get, "/account/whoami", token: "as-bridge")
            #expect(sender.status == 200, "\(sender.body)")
            #expect(sender["user_id"] == "@bridgebot:test.local")
            #expect(sender["device_id"] == nil, "no device named, none claimed")

            let alice = try await Self.registerBridged(client, "_bridge_alice")
            let asAlice = try await client.client(.get, Self.acting("/account/whoami", as: alice), token: "as-bridge")
            #expect(asAlice["user_id"] == .string(alice), "\(asAlice.body)")

            let carol = try await client.register("carol")
            let refusals: [(String, Int, String, String)] = [
                ("@_bridge_ghost:test.local", 403, "M_FORBIDDEN", "has not registered this user"),
                (carol.userID, 403, "M_FORBIDDEN", "cannot masquerade"),
                ("@_bridge_alice:elsewhere.example", 403, "M_FORBIDDEN", "cannot masquerade"),
            ]
            for (userID, status, errcode, words) in refusals {
                let refused = try await client.client(
                    .get, Self.acting("/account/whoami", as: userID), token: "as-bridge")
                #expect(refused.status == status, "\(userID): \(refused.body)")
                #expect(refused.errcode == errcode, "\(userID)")
                #expect(refused["error"]?.stringValue?.contains(words) == true, "\(userID): \(refused.body)")
            }
            // `user_id` means nothing to an ordinary token.
            let own = try await client.client(.get, Self.acting("/account/whoami", as: alice), token: carol.token)
            #expect(own["user_id"] == .string(carol.userID))
            #expect(own["device_id"] == .string(carol.deviceID))
        }
    }

    /// A device the service logged in for its user can be named on any request; keys are uploaded
    /// and to-device messages received on it, and what needs a device is refused without one.
    @Test func theServiceSpeaksForOneOfItsUsersDevices() async throws {
        try await TestServer.run(config: try Self.config()) { client in
            let login = try await client.client(
                .post, "/login", token: "as-bridge",
                body: [
                    "type": "m.login.application_service",
                    "identifier": ["type": "m.id.user", "user": "_bridge_bob"], "device_id": "BRIDGEDEV",
                ])
            // The user must exist first.
            #expect(login.status != 200)
            let bob = try await Self.registerBridged(client, "_bridge_bob")
            let loggedIn = try await client.client(
                .post, "/login", token: "as-bridge",
                body: [
                    "type": "m.login.application_service",
                    "identifier": ["type": "m.id.user", "user": .string(bob)], "device_id": "BRIDGEDEV",
                ])
            try #require(loggedIn.status == 200, "\(loggedIn.body)")

            for parameter in ["device_id", "org.matrix.msc3202.device_id"] {
                let whoami = try await client.client(
                    .get, Self.acting("/account/whoami", as: bob, device: "BRIDGEDEV", deviceParameter: parameter),
                    token: "as-bridge")
                #expect(whoami["device_id"] == "BRIDGEDEV", "\(parameter): \(whoami.body)")
            }
            let unknown = try await client.client(
                .get, Self.acting("/account/whoami", as: bob, device: "NOPE"), token: "as-bridge")
            #expect(unknown.status == 400 && unknown.errcode == "M_EXCLUSIVE", "\(unknown.body)")

            let keys = DeviceKeyFactory(userID: bob, deviceID: "BRIDGEDEV")
            let upload: JSONValue = ["device_keys": keys.deviceKeys(), "one_time_keys": keys.oneTimeKeys(count: 2)]
            let deviceless = try await client.client(
                .post, Self.acting("/keys/upload", as: bob), token: "as-bridge", body: upload)
            #expect(deviceless.status == 400, "no device, no keys: \(deviceless.body)")
            let uploaded = try await client.client(
                .post, Self.acting("/keys/upload", as: bob, device: "BRIDGEDEV"), token: "as-bridge", body: upload)
            #expect(uploaded.status == 200, "\(uploaded.body)")
            #expect(uploaded["one_time_key_counts"]?["signed_curve25519"] == 2)

            // A to-device message for the device reaches the service's /sync as that device.
            let carol = try await client.register("carol")
            let sent = try await client.client(
                .put, "/sendToDevice/m.test/t1", token: carol.token,
                body: ["messages": .object([bob: ["BRIDGEDEV": ["n": 1]]])])
            #expect(sent.status == 200)
            let sync = try await client.client(
                .get, Self.acting(syncPath(), as: bob, device: "BRIDGEDEV"), token: "as-bridge")
            #expect(sync["to_device"]?["events"]?.arrayValue?.first?["sender"] == .string(carol.userID), "\(sync.body)")
            #expect(sync["device_one_time_keys_count"]?["signed_curve25519"] == 2)
            let devicelessSync = try await client.client(.get, Self.acting(syncPath(), as: bob), token: "as-bridge")
            #expect(devicelessSync.status == 200)
            #expect(devicelessSync["to_device"]?["events"]?.arrayValue?.isEmpty == true, "no device, no inbox")

            let logout = try await client.client(.post, Self.acting("/logout", as: bob), token: "as-bridge")
            #expect(logout.status == 400, "no device to log out: \(logout.body)")
        }
    }

    /// A service registered with `rate_limited: false` is not held back by the claim limit that
    /// holds back the same user's own device.
    @Test func aServiceThatIsNotRateLimitedIsNotHeldBack() async throws {
        var config = try Self.config()
        config.keyClaimRateLimit = RateLimit(perSecond: 0.001, burst: 1)
        config.applicationServices = [try .exclusive("bridge", users: "@_bridge_.*", rateLimited: false)]
        try await TestServer.run(config: config) { client in
            let alice = try await Self.registerBridged(client, "_bridge_alice")
            let own = try await client.client(
                .post, "/login", token: "as-bridge",
                body: [
                    "type": "m.login.application_service", "identifier": ["type": "m.id.user", "user": .string(alice)],
                ])
            let token = try #require(own["access_token"]?.stringValue, "\(own.body)")
            let claim: JSONValue = ["one_time_keys": .object([alice: ["X": "signed_curve25519"]])]
            var ownStatuses: [Int] = []
            for _ in 0..<3 {
                ownStatuses.append(try await client.client(.post, "/keys/claim", token: token, body: claim).status)
            }
            #expect(ownStatuses == [200, 429, 429], "the user's own device is limited")
            var serviceStatuses: [Int] = []
            for _ in 0..<3 {
                serviceStatuses.append(
                    try await client.client(
                        .post, Self.acting("/keys/claim", as: alice), token: "as-bridge", body: claim
                    )
                    .status)
            }
            #expect(serviceStatuses == [200, 200, 200], "the service acting as the user is not")
        }
    }

    /// Room events the service sends as a user are that user's, and its transaction IDs are its
    /// own: the same ID from the service again is the same event, from the user's own device a
    /// different one.
    @Test func roomEventsAreSentAsTheAssertedUserWithTheServicesOwnTransactions() async throws {
        try await TestServer.run(config: try Self.config()) { client in
            let alice = try await Self.registerBridged(client, "_bridge_alice")
            let created = try await client.client(
                .post, Self.acting("/createRoom", as: alice), token: "as-bridge", body: [:])
            let roomID = try #require(created["room_id"]?.stringValue, "\(created.body)")
            func send(_ token: String, _ path: String) async throws -> String? {
                try await client.client(
                    .put, path, token: token, body: ["msgtype": "m.text", "body": "hello"]
                )["event_id"]?.stringValue
            }
            let path = "/rooms/\(roomID)/send/m.room.message/txn1"
            let first = try await send("as-bridge", Self.acting(path, as: alice))
            let again = try await send("as-bridge", Self.acting(path, as: alice))
            #expect(first != nil && first == again, "the service's retry is the same event")

            let members = try await client.client(
                .get, Self.acting("/rooms/\(roomID)/joined_members", as: alice), token: "as-bridge")
            #expect(members["joined"]?[alice] != nil, "\(members.body)")
            let sync = try await client.client(.get, Self.acting(syncPath(), as: alice), token: "as-bridge")
            let timeline = eventList(sync["rooms"]?["join"]?[roomID]?["timeline"]?["events"])
            let message = try #require(timeline.first { $0["event_id"]?.stringValue == first })
            #expect(message["sender"] == .string(alice))
            #expect(message["unsigned"]?["transaction_id"] == "txn1", "the sender sees its transaction ID")

            // The service's sender acts in rooms once registered, as bridges register their bot.
            _ = try await Self.registerBridged(client, "bridgebot")
            let invited = try await client.client(
                .post, Self.acting("/rooms/\(roomID)/invite", as: alice), token: "as-bridge",
                body: ["user_id": "@bridgebot:test.local"])
            #expect(invited.status == 200, "\(invited.body)")
            let joined = try await client.client(.post, "/rooms/\(roomID)/join", token: "as-bridge", body: [:])
            #expect(joined.status == 200, "\(joined.body)")
            let botEvent = try await send("as-bridge", "/rooms/\(roomID)/send/m.room.message/txn1")
            #expect(botEvent != nil && botEvent != first, "the same transaction ID from another user is another event")
        }
    }
}
