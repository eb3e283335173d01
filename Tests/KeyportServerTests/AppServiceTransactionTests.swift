import Foundation
import Hummingbird
import KeyportFederation
import KeyportServer
import KeyportServices
import MatrixModel
import Synchronization
import Testing

/// Issue 12: transactions to an application service (`PUT /_matrix/app/v1/transactions/{txnId}`),
/// against a stub service that records what it is sent and answers as told.
@Suite struct AppServiceTransactionTests {
    typealias StubService = AppServiceKeyTests.StubService
    static let prefix = "/_matrix/app/v1/transactions/"

    /// A server whose service `bridge` owns `@bridged.*` and is at `url`, retrying after 200 ms.
    static func config(
        _ directory: String, url: String, ephemeral: Bool = false, deviceData: Bool = false
    ) throws -> KeyportConfig {
        var config = TestServer.config(dataDirectory: directory)
        config.appServiceRetry = RetrySchedule(minimum: .milliseconds(200), multiplier: 1, maximum: .milliseconds(200))
        config.msc2409ToDeviceMessagesEnabled = ephemeral
        config.msc3202TransactionExtensions = deviceData
        config.applicationServices = [
            try .exclusive(
                "bridge", users: "@bridged\\..*", url: url, asToken: "as-token", hsToken: "hs-token",
                receivesEphemeral: ephemeral, receivesDeviceData: deviceData)
        ]
        return config
    }

    /// A service that fails is tried again on Synapse's schedule: 2 s, doubling, at most 512 s,
    /// not the federation's ten minutes.
    @Test func aFailingServiceIsRetriedOnSynapsesSchedule() {
        let schedule = KeyportConfig.development(dataDirectory: "/tmp").appServiceRetry
        #expect(schedule == .appServices)
        #expect(
            (1...11).map { schedule.delay(afterFailures: $0) }
                == [2, 4, 8, 16, 32, 64, 128, 256, 512, 512, 512].map { .seconds($0) })
    }

    /// The service registers one of its users.
    static func registerBridged(_ client: MatrixClient, _ localpart: String) async throws -> TestUser {
        let reply = try await client.client(
            .post, "/register", token: "as-token",
            body: ["type": "m.login.application_service", "username": .string(localpart)])
        try #require(reply.status == 200, "\(reply.body)")
        return TestUser(
            userID: try #require(reply["user_id"]?.stringValue),
            deviceID: try #require(reply["device_id"]?.stringValue),
            token: try #require(reply["access_token"]?.stringValue), password: "")
    }

    /// Every transaction request the stub received, in order.
    static func transactions(_ stub: StubService) -> [FakePeer.Request] {
        stub.received.filter { $0.path.hasPrefix(prefix) }
    }

    /// The bodies of the `events` of a request.
    static func bodies(_ request: FakePeer.Request) -> [String] {
        (request.body?["events"]?.arrayValue ?? []).compactMap { $0["content"]?["body"]?.stringValue }
    }

    /// Waits (up to 15 s) until `condition` holds.
    static func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while try await !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting for \(what)")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// A room of bob's that the bridged user joined, once the service has been sent the join.
    static func sharedRoom(_ client: MatrixClient, _ stub: StubService, bob: TestUser, bridged: TestUser)
        async throws -> String
    {
        let room = try await client.createRoom(bob)
        try await client.invite(bob, room, bridged)
        try await client.join(bridged, room)
        try await eventually("the join") {
            transactions(stub).contains { request in
                request.body?["events"]?.arrayValue?.contains {
                    $0["type"] == "m.room.member" && $0["state_key"] == .string(bridged.userID)
                        && $0["content"]?["membership"] == "join"
                } == true
            }
        }
        return room
    }

    @Test func eventsOfInterestArriveWithTheHSTokenAndOthersNever() async throws {
        let stub = StubService { _ in (200, [:]) }
        try await FakePeer.run(stub.handler) { peer in
            let config = try Self.config(TestServer.temporaryDirectory(), url: "http://\(peer)")
            try await TestServer.run(config: config) { client in
                let bob = try await client.register("bob")
                let carol = try await client.register("carol")
                let bridged = try await Self.registerBridged(client, "bridged.alice")
                let room = try await Self.sharedRoom(client, stub, bob: bob, bridged: bridged)
                let elsewhere = try await client.createRoom(carol)
                try await client.sendText(carol, elsewhere, "not for the bridge")
                let hello = try await client.sendText(bob, room, "hello bridge")
                try await Self.eventually("bob's message") {
                    Self.transactions(stub).contains { Self.bodies($0).contains("hello bridge") }
                }
                let sent = Self.transactions(stub)
                #expect(sent.allSatisfy { $0.authorization == "Bearer hs-token" && $0.method == "PUT" })
                #expect(!sent.contains { Self.bodies($0).contains("not for the bridge") })
                #expect(
                    !sent.contains { request in
                        request.body?["events"]?.arrayValue?.contains { $0["room_id"] == .string(elsewhere) } == true
                    }, "nothing of carol's room")
                let events = sent.flatMap { $0.body?["events"]?.arrayValue ?? [] }
                let event = try #require(events.first { $0["event_id"] == .string(hello) })
                #expect(event["room_id"] == .string(room) && event["sender"] == .string(bob.userID))
                #expect(event["type"] == "m.room.message" && event["origin_server_ts"]?.intValue != nil)
                let ids = sent.map { $0.path.dropFirst(Self.prefix.count) }
                #expect(Set(ids).count == ids.count, "each transaction its own ID: \(ids)")
            }
        }
    }

    @Test func aFailedTransactionIsSentAgainAsItWasThenTheNextGetsANewID() async throws {
        let failuresLeft = Mutex(0)
        let stub = StubService { request in
            guard request.path.hasPrefix(Self.prefix) else { return (404, ["errcode": "M_UNRECOGNIZED"]) }
            let fail = failuresLeft.withLock { left in
                defer { left = max(0, left - 1) }
                return left > 0
            }
            return fail ? (500, ["errcode": "M_UNKNOWN"]) : (200, [:])
        }
        try await FakePeer.run(stub.handler) { peer in
            let config = try Self.config(TestServer.temporaryDirectory(), url: "http://\(peer)")
            try await TestServer.run(config: config) { client in
                let bob = try await client.register("bob")
                let bridged = try await Self.registerBridged(client, "bridged.alice")
                let room = try await Self.sharedRoom(client, stub, bob: bob, bridged: bridged)
                let before = Self.transactions(stub).count
                failuresLeft.withLock { $0 = 2 }
                try await client.sendText(bob, room, "first")
                try await Self.eventually("two failures and a success") { Self.transactions(stub).count >= before + 3 }
                let attempts = Array(Self.transactions(stub)[before..<(before + 3)])
                #expect(Set(attempts.map(\.path)).count == 1, "the same transaction ID: \(attempts.map(\.path))")
                #expect(attempts.allSatisfy { $0.bytes == attempts[0].bytes }, "the same bytes each time")
                #expect(Self.bodies(attempts[0]) == ["first"])

                try await client.sendText(bob, room, "second")
                try await Self.eventually("the next transaction") {
                    Self.transactions(stub).contains { Self.bodies($0).contains("second") }
                }
                let next = try #require(Self.transactions(stub).first { Self.bodies($0).contains("second") })
                let firstID = try #require(Int(attempts[0].path.dropFirst(Self.prefix.count)))
                #expect(next.path == Self.prefix + "\(firstID + 1)", "a new ID, the next one")
                // Each event went in exactly one transaction, however often that was sent.
                var acknowledged: [String: Int] = [:]
                let byID = Dictionary(grouping: Self.transactions(stub), by: \.path)
                for (_, tries) in byID {
                    for id in (tries[0].body?["events"]?.arrayValue ?? []).compactMap({ $0["event_id"]?.stringValue }) {
                        acknowledged[id, default: 0] += 1
                    }
                }
                #expect(acknowledged.values.allSatisfy { $0 == 1 }, "no event in two transactions: \(acknowledged)")
                #expect(Self.transactions(stub).flatMap(Self.bodies).filter { $0 == "first" }.count == 3)
            }
        }
    }

    @Test func aPendingTransactionSurvivesARestart() async throws {
        let directory = TestServer.temporaryDirectory()
        let failing = Mutex(false)
        let firstRun = StubService { request in
            failing.withLock { $0 } ? (500, ["errcode": "M_UNKNOWN"]) : (200, [:])
        }
        let secondRun = StubService { _ in (200, [:]) }
        let port = Mutex<String?>(nil)
        let attempted = Mutex<FakePeer.Request?>(nil)
        // Both runs reach the service at the same address: one stub answers, the other records.
        let forwarding = StubService { request in
            await (port.withLock { $0 } == "second" ? secondRun : firstRun).handle(request)
        }
        try await FakePeer.run(forwarding.handler) { peer in
            let config = try Self.config(directory, url: "http://\(peer)")
            try await TestServer.run(config: config) { client in
                let bob = try await client.register("bob")
                let bridged = try await Self.registerBridged(client, "bridged.alice")
                let room = try await Self.sharedRoom(client, firstRun, bob: bob, bridged: bridged)
                failing.withLock { $0 = true }
                try await client.sendText(bob, room, "kept across a restart")
                try await Self.eventually("a failed attempt") {
                    Self.transactions(firstRun).contains { Self.bodies($0).contains("kept across a restart") }
                }
                attempted.withLock { lock in
                    lock = Self.transactions(firstRun).first { Self.bodies($0).contains("kept across a restart") }
                }
            }
            port.withLock { $0 = "second" }
            try await TestServer.run(config: config) { _ in
                try await Self.eventually("the transaction after the restart") {
                    !Self.transactions(secondRun).isEmpty
                }
            }
        }
        let before = try #require(attempted.withLock { $0 })
        let after = try #require(Self.transactions(secondRun).first)
        #expect(after.path == before.path, "the same transaction ID after the restart")
        #expect(after.bytes == before.bytes, "the same body after the restart")
        #expect(Self.transactions(secondRun).filter { $0.path == before.path }.count == 1)
    }

    @Test func toDeviceMessagesForBridgedUsersGoInTheTransactionAndLeaveTheInboxOnlyOnAcknowledgement()
        async throws
    {
        let failing = Mutex(false)
        let stub = StubService { _ in failing.withLock { $0 } ? (500, ["errcode": "M_UNKNOWN"]) : (200, [:]) }
        try await FakePeer.run(stub.handler) { peer in
            let config = try Self.config(TestServer.temporaryDirectory(), url: "http://\(peer)", ephemeral: true)
            try await TestServer.run(config: config) { client in
                let bob = try await client.register("bob")
                let carol = try await client.register("carol")
                let bridged = try await Self.registerBridged(client, "bridged.alice")
                failing.withLock { $0 = true }
                let messages: JSONObject = [
                    bridged.userID: .object([bridged.deviceID: ["secret": "for the bridge"]]),
                    carol.userID: .object([carol.deviceID: ["secret": "for carol"]]),
                ]
                let sent = try await client.client(
                    .put, "/sendToDevice/m.test.kind/t1", token: bob.token, body: ["messages": .object(messages)])
                try #require(sent.status == 200)
                let key = "de.sorunome.msc2409.to_device"
                try await Self.eventually("a failed attempt with the message") {
                    Self.transactions(stub).contains { $0.body?[key]?.arrayValue?.isEmpty == false }
                }
                let inbox = try await client.sync(bridged)
                #expect(
                    inbox["to_device"]?["events"]?.arrayValue?.count == 1,
                    "still in the inbox before the acknowledgement: \(inbox.body)")

                let attempts = Self.transactions(stub).count
                let stillThere = try await client.sync(bridged)
                #expect(stillThere["to_device"]?["events"]?.arrayValue?.count == 1, "a failure deletes nothing")
                failing.withLock { $0 = false }
                try await Self.eventually("the inbox emptied by the acknowledgement") {
                    try await client.sync(bridged)["to_device"]?["events"]?.arrayValue?.isEmpty == true
                }
                #expect(Self.transactions(stub).count > attempts, "emptied only after another attempt was answered 200")
                let carried = try #require(Self.transactions(stub).last?.body?[key]?.arrayValue)
                #expect(
                    carried == [
                        [
                            "type": "m.test.kind", "sender": .string(bob.userID), "to_user_id": .string(bridged.userID),
                            "to_device_id": .string(bridged.deviceID), "content": ["secret": "for the bridge"],
                        ]
                    ], "only the bridged user's message, with its recipient")
                let carols = try await client.sync(carol)
                #expect(carols["to_device"]?["events"]?.arrayValue?.count == 1, "carol's own message is untouched")
            }
        }
    }

    @Test func deviceChangesOfRoomMatesOfBridgedUsersArriveInChanged() async throws {
        let stub = StubService { _ in (200, [:]) }
        try await FakePeer.run(stub.handler) { peer in
            let config = try Self.config(TestServer.temporaryDirectory(), url: "http://\(peer)", deviceData: true)
            try await TestServer.run(config: config) { client in
                let bob = try await client.register("bob")
                let carol = try await client.register("carol")
                let bridged = try await Self.registerBridged(client, "bridged.alice")
                _ = try await Self.sharedRoom(client, stub, bob: bob, bridged: bridged)
                // The join put bob in `changed` already (the room became shared); only what follows counts.
                let joined = Self.transactions(stub).count
                func changed() -> [[String]] {
                    Self.transactions(stub).dropFirst(joined).compactMap {
                        $0.body?["org.matrix.msc3202.device_lists"]?["changed"]?.arrayValue?.compactMap(\.stringValue)
                    }
                }
                // carol shares no room with the bridge: her new device is none of its business.
                _ = try await client.login(carol, deviceID: "CAROL2")
                _ = try await client.login(bob, deviceID: "BOB2")
                try await Self.eventually("bob's new device") { changed().contains { $0.contains(bob.userID) } }
                let everChanged = Self.transactions(stub).flatMap {
                    $0.body?["org.matrix.msc3202.device_lists"]?["changed"]?.arrayValue ?? []
                }
                #expect(!everChanged.contains(.string(carol.userID)), "\(everChanged)")
                let body = try #require(
                    Self.transactions(stub).last { $0.body?["org.matrix.msc3202.device_lists"] != nil }?.body)
                #expect(body["org.matrix.msc3202.device_lists"]?["left"] == [])
            }
        }
    }
}
