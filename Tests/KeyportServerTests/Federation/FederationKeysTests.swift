import Foundation
import Hummingbird
import KeyportServer
import MatrixModel
import Testing

/// Two Keyport servers over TLS on loopback: keys, claims and to-device messages in both
/// directions, and delivery across a stopped receiver and a restarted sender.
@Suite(.serialized)
struct FederationKeysTests {
    /// Registers a user with device keys, `count` one-time keys and a fallback key.
    static func userWithKeys(_ client: MatrixClient, _ name: String, count: Int = 3) async throws
        -> (TestUser, DeviceKeyFactory, JSONObject)
    {
        let user = try await client.register(name)
        let keys = DeviceKeyFactory(user)
        let oneTimeKeys = keys.oneTimeKeys(count: count)
        let reply = try await client.client(
            .post, "/keys/upload", token: user.token,
            body: [
                "device_keys": keys.deviceKeys(), "one_time_keys": oneTimeKeys,
                "fallback_keys": ["signed_curve25519:FB": keys.signedKey(fallback: true)],
            ])
        try #require(reply.status == 200, "upload: \(reply.body)")
        return (user, keys, oneTimeKeys.objectValue ?? [:])
    }

    static func sendToDevice(
        _ client: MatrixClient, from user: TestUser, to target: String, device: String, text: String, txn: String
    ) async throws {
        let reply = try await client.client(
            .put, "/sendToDevice/m.test/\(txn)", token: user.token,
            body: ["messages": .object([target: .object([device: ["text": .string(text)]])])])
        try #require(reply.status == 200, "sendToDevice: \(reply.body)")
    }

    /// Syncs until the device has to-device messages (or `timeout`); returns all texts seen, and
    /// acknowledges them.
    static func receive(_ client: MatrixClient, _ user: TestUser, since: String?, timeout: Duration = .seconds(20))
        async throws -> (texts: [String], senders: [String], next: String)
    {
        var since = since
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let reply = try await client.sync(user, since: since, timeout: 1000)
            since = reply["next_batch"]?.stringValue
            let events = reply["to_device"]?["events"]?.arrayValue ?? []
            if !events.isEmpty {
                let texts = events.compactMap { $0["content"]?["text"]?.stringValue }
                let senders = events.compactMap { $0["sender"]?.stringValue }
                // Acknowledge, and make sure nothing else (no duplicate) is waiting.
                let after = try await client.sync(user, since: since, timeout: 0)
                let more = after["to_device"]?["events"]?.arrayValue ?? []
                return (
                    texts + more.compactMap { $0["content"]?["text"]?.stringValue }, senders,
                    after["next_batch"]?.stringValue ?? ""
                )
            }
        }
        return ([], [], since ?? "")
    }

    @Test func queryClaimAndToDeviceBothWays() async throws {
        let serverA = try FederatingServer()
        let serverB = try FederatingServer()
        try await serverA.run { a in
            try await serverB.run { b in
                let (alice, aliceKeys, _) = try await Self.userWithKeys(a, "alice")
                let (bob, bobKeys, bobOneTimeKeys) = try await Self.userWithKeys(b, "bob")

                let query = try await a.client(
                    .post, "/keys/query", token: alice.token, body: ["device_keys": .object([bob.userID: []])])
                #expect(query.status == 200)
                #expect(query["failures"] == [:], "\(query.body)")
                var expected = bobKeys.deviceKeys()
                expected["unsigned"] = [:]
                #expect(query["device_keys"]?[bob.userID]?[bob.deviceID] == expected)

                let claim = try await a.client(
                    .post, "/keys/claim", token: alice.token,
                    body: ["one_time_keys": .object([bob.userID: .object([bob.deviceID: "signed_curve25519"])])])
                #expect(claim["failures"] == [:], "\(claim.body)")
                let claimed = try #require(claim["one_time_keys"]?[bob.userID]?[bob.deviceID]?.objectValue)
                #expect(claimed.count == 1)
                let (claimedID, claimedKey) = try #require(claimed.sortedMembers().first)
                #expect(bobOneTimeKeys[claimedID] == claimedKey, "the claimed key is one bob uploaded, unchanged")

                let reverse = try await b.client(
                    .post, "/keys/query", token: bob.token,
                    body: ["device_keys": .object([alice.userID: [.string(alice.deviceID)]])])
                var expectedAlice = aliceKeys.deviceKeys()
                expectedAlice["unsigned"] = [:]
                #expect(reverse["device_keys"]?[alice.userID]?[alice.deviceID] == expectedAlice)
                let reverseClaim = try await b.client(
                    .post, "/keys/claim", token: bob.token,
                    body: ["one_time_keys": .object([alice.userID: .object([alice.deviceID: "signed_curve25519"])])])
                #expect(reverseClaim["one_time_keys"]?[alice.userID]?[alice.deviceID]?.objectValue?.count == 1)

                let bobStart = try await b.position(bob)
                try await Self.sendToDevice(
                    a, from: alice, to: bob.userID, device: bob.deviceID, text: "a→b", txn: "t1")
                let atBob = try await Self.receive(b, bob, since: bobStart)
                #expect(atBob.texts == ["a→b"])
                #expect(atBob.senders == [alice.userID])

                let aliceStart = try await a.position(alice)
                try await Self.sendToDevice(b, from: bob, to: alice.userID, device: "*", text: "b→a", txn: "t1")
                let atAlice = try await Self.receive(a, alice, since: aliceStart)
                #expect(atAlice.texts == ["b→a"])
            }
        }
    }

    @Test func unreachableServerIsReportedWhileOthersAnswer() async throws {
        let serverA = try FederatingServer()
        let silent = try FreePort.next()
        try await serverA.run { a in
            let (alice, _, _) = try await Self.userWithKeys(a, "alice")
            let (carol, _, _) = try await Self.userWithKeys(a, "carol")
            let reply = try await a.client(
                .post, "/keys/query", token: alice.token,
                body: ["device_keys": .object([carol.userID: [], "@nobody:localhost:\(silent)": []]), "timeout": 3000])
            #expect(reply.status == 200)
            #expect(reply["device_keys"]?[carol.userID]?.objectValue?.count == 1)
            #expect(reply["failures"]?["localhost:\(silent)"] != nil, "\(reply.body)")
        }
    }

    @Test func blacklistedAddressesAreNeverContacted() async throws {
        let serverB = try FederatingServer()
        var config = try FederatingServer().config
        config.ipRangeBlacklist = ["127.0.0.0/8", "::1/128"]
        let blocked = config
        config.ipRangeWhitelist = ["127.0.0.1/32"]
        let allowed = config
        try await serverB.run { b in
            let bob = try await b.register("bob")
            let alice = Box<TestUser>()
            try await TestServer.run(config: blocked) { a in
                let user = try await a.register("alice")
                alice.value = user
                let reply = try await a.client(
                    .post, "/keys/query", token: user.token, body: ["device_keys": .object([bob.userID: []])])
                #expect(reply.status == 200)
                let failure = try #require(reply["failures"]?[serverB.serverName]?["message"]?.stringValue)
                #expect(failure.contains("ip_range_blacklist"), "\(failure)")
            }
            let user = try #require(alice.value)
            try await TestServer.run(config: allowed) { a in
                let reply = try await a.client(
                    .post, "/keys/query", token: user.token, body: ["device_keys": .object([bob.userID: []])])
                #expect(reply["failures"] == [:], "the whitelist lets loopback through: \(reply.body)")
            }
        }
    }

    /// Registers a user with keys on `server`, notes the device's sync position, stops the server.
    static func registerThenStop(_ server: FederatingServer, _ name: String) async throws -> (TestUser, String) {
        let box = Box<(TestUser, String)>()
        try await server.run { client in
            let (user, _, _) = try await Self.userWithKeys(client, name)
            box.value = (user, try await client.position(user))
        }
        return try #require(box.value)
    }

    @Test func toDeviceSurvivesAStoppedReceiver() async throws {
        let serverA = try FederatingServer()
        let serverB = try FederatingServer()
        let (bob, since) = try await Self.registerThenStop(serverB, "bob")
        try await serverA.run { a in
            let (alice, _, _) = try await Self.userWithKeys(a, "alice")
            try await Self.sendToDevice(
                a, from: alice, to: bob.userID, device: bob.deviceID, text: "while down", txn: "d1")
            try await Task.sleep(for: .milliseconds(700))
            try await serverB.run { b in
                let received = try await Self.receive(b, bob, since: since)
                #expect(received.texts == ["while down"], "delivered exactly once after the receiver came back")
            }
        }
    }

    @Test func toDeviceSurvivesASenderRestart() async throws {
        let serverA = try FederatingServer()
        let serverB = try FederatingServer()
        let (bob, since) = try await Self.registerThenStop(serverB, "bob")
        try await serverA.run { a in
            let (alice, _, _) = try await Self.userWithKeys(a, "alice")
            try await Self.sendToDevice(a, from: alice, to: bob.userID, device: bob.deviceID, text: "queued", txn: "q1")
        }
        try await serverB.run { b in
            try await serverA.run { _ in
                let received = try await Self.receive(b, bob, since: since)
                #expect(received.texts == ["queued"], "the restarted sender delivered its queue exactly once")
            }
        }
    }
}

/// A mutable slot to carry values out of a server's run closure.
final class Box<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value?
    var value: Value? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

/// Profiles of other servers' users, read through their server's `/query/profile`.
@Suite struct FederationProfileTests {
    @Test func aRemoteUsersProfileIsReadFromTheirServer() async throws {
        let serverA = try FederatingServer()
        let serverB = try FederatingServer()
        try await serverA.run { a in
            try await serverB.run { b in
                let alice = try await a.register("alice")
                let bob = try await b.register("bob")
                _ = try await a.client(
                    .put, "/profile/\(alice.userID)/displayname", token: alice.token, body: ["displayname": "Alice"])
                let read = try await b.client(.get, "/profile/\(alice.userID)", token: bob.token)
                #expect(read.status == 200, "\(read.body)")
                #expect(read.body == ["displayname": "Alice"])
                let unknown = try await b.client(.get, "/profile/@nobody:\(serverA.serverName)", token: bob.token)
                #expect(unknown.errcode == "M_NOT_FOUND")
            }
        }
    }
}
