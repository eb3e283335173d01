import Hummingbird
import MatrixModel
import Testing

/// `PUT /sendToDevice` and to-device delivery through `/sync` (guarantee 2).
@Suite struct ToDeviceTests {
    static func send(
        _ client: MatrixClient, from sender: TestUser, txn: String, type: String = "my.test.type",
        messages: JSONObject
    ) async throws -> MatrixClient.Reply {
        try await client.client(
            .put, "/sendToDevice/\(type)/\(txn)", token: sender.token, body: ["messages": .object(messages)])
    }

    @Test func deliveredExactlyAsSentAndDeduplicatedByTxnID() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let start = try await client.position(bob)
            let messages: JSONObject = [bob.userID: .object([bob.deviceID: ["my_key": "my_value"]])]
            #expect(try await Self.send(client, from: alice, txn: "t1", messages: messages).status == 200)
            #expect(try await Self.send(client, from: alice, txn: "t1", messages: messages).status == 200)
            let reply = try await client.sync(bob, since: start)
            #expect(
                reply.toDeviceEvents == [
                    ["sender": .string(alice.userID), "type": "my.test.type", "content": ["my_key": "my_value"]]
                ])
            // Another device of the sender may reuse the transaction ID.
            let alice2 = try await client.login(alice)
            #expect(try await Self.send(client, from: alice2, txn: "t1", messages: messages).status == 200)
            let next = try await client.sync(bob, since: reply.nextBatch)
            #expect(next.toDeviceEvents.count == 1)
        }
    }

    @Test func redeliveredUntilAcknowledgedAndKeptInOrder() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let start = try await client.position(bob)
            for index in 0..<5 {
                _ = try await Self.send(
                    client, from: alice, txn: "t\(index)",
                    messages: [bob.userID: .object([bob.deviceID: ["n": .int(Int64(index))]])])
            }
            let first = try await client.sync(bob, since: start)
            #expect(first.toDeviceEvents.compactMap { $0["content"]?["n"]?.intValue } == [0, 1, 2, 3, 4])
            // The same `since` again: nothing was acknowledged, so everything comes again.
            let again = try await client.sync(bob, since: start)
            #expect(again.toDeviceEvents.compactMap { $0["content"]?["n"]?.intValue } == [0, 1, 2, 3, 4])
            // Syncing with the new token acknowledges them: they are gone for good.
            let acknowledged = try await client.sync(bob, since: first.nextBatch)
            #expect(acknowledged.toDeviceEvents.isEmpty)
            let replay = try await client.sync(bob, since: start)
            #expect(replay.toDeviceEvents.isEmpty)
        }
    }

    @Test func atMost100PerSyncAndABacklogReturnsAtOnce() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let start = try await client.position(bob)
            for index in 0..<150 {
                _ = try await Self.send(
                    client, from: alice, txn: "t\(index)",
                    messages: [bob.userID: .object([bob.deviceID: ["n": .int(Int64(index))]])])
            }
            let first = try await client.sync(bob, since: start, timeout: 10_000)
            #expect(first.toDeviceEvents.count == 100)
            let clock = ContinuousClock()
            let began = clock.now
            let second = try await client.sync(bob, since: first.nextBatch, timeout: 30_000)
            // At once, not after the 30 s a long poll would wait (the margin is for a loaded machine).
            #expect(clock.now - began < .seconds(20))
            #expect(
                second.toDeviceEvents.compactMap { $0["content"]?["n"]?.intValue } == Array(100..<150).map(Int64.init))
        }
    }

    @Test func aWaitingSyncWakesWhenAMessageArrives() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let start = try await client.position(bob)
            try await client.withExtraConnection { other in
                async let sent = {
                    try await Task.sleep(for: .milliseconds(300))
                    return try await other.send(
                        .put, "/sendToDevice/my.test.type/wake", token: alice.token,
                        body: ["messages": .object([bob.userID: .object(["*": ["hello": "bob"]])])])
                }()
                let clock = ContinuousClock()
                let began = clock.now
                let reply = try await client.sync(bob, since: start, timeout: 20_000)
                #expect(clock.now - began < .seconds(10))
                #expect(reply.toDeviceEvents.count == 1)
                #expect(try await sent.status == 200)
            }
        }
    }

    @Test func wildcardReachesEveryDeviceAndUnknownTargetsAreSkipped() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let bob2 = try await client.login(bob)
            let start1 = try await client.position(bob)
            let start2 = try await client.position(bob2)
            let reply = try await Self.send(
                client, from: alice, txn: "w",
                messages: [
                    bob.userID: .object(["*": ["to": "all"]]), "@nobody:test.local": .object(["X": [:]]),
                    alice.userID: .object(["NOSUCHDEVICE": [:]]),
                ])
            #expect(reply.status == 200)
            #expect(try await client.sync(bob, since: start1).toDeviceEvents.count == 1)
            #expect(try await client.sync(bob2, since: start2).toDeviceEvents.count == 1)
        }
    }

    @Test func badRequestsAreRefused() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let big = String(repeating: "x", count: 70_000)
            let tooLarge = try await Self.send(
                client, from: alice, txn: "big", messages: [bob.userID: .object([bob.deviceID: ["data": .string(big)]])]
            )
            #expect(tooLarge.status == 413)
            #expect(tooLarge.errcode == "M_TOO_LARGE")
            let notObject = try await Self.send(client, from: alice, txn: "bad", messages: [bob.userID: "nope"])
            #expect(notObject.errcode == "M_BAD_JSON")
            let badUser = try await Self.send(client, from: alice, txn: "bad2", messages: ["not-a-user": .object([:])])
            #expect(badUser.status == 400)
            let missing = try await client.client(.put, "/sendToDevice/t/x", token: alice.token, body: [:])
            #expect(missing.errcode == "M_BAD_JSON")
        }
    }

    @Test func deletingOrLoggingOutADeviceDropsItsInbox() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let doomed = try await client.login(bob, deviceID: "DOOMED")
            _ = try await Self.send(
                client, from: alice, txn: "1", messages: [bob.userID: .object(["DOOMED": ["a": 1]])])
            #expect(try await client.client(.post, "/logout", token: doomed.token).status == 200)
            let reborn = try await client.login(bob, deviceID: "DOOMED")
            #expect(try await client.sync(reborn).toDeviceEvents.isEmpty)
            #expect(try await client.client(.get, "/sync", token: doomed.token).status == 401)
        }
    }
}
