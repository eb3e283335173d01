import KeyportStore
import MatrixModel
import Testing

/// `AppServiceStateStore` and the stream reads application-service transactions are built from:
/// a service starts at the positions it is given, a transaction is stored only over nothing
/// pending and unchanged positions, and acknowledging it moves the positions, clears the backoff
/// and deletes the inbox messages it delivered, all at once.
enum AppServiceStateChecks {
    static let all: [StoreCheck] = [
        StoreCheck("appservice state: none until started, then the first start's positions", start),
        StoreCheck("appservice state: a pending transaction is stored by compare-and-set", pendingCAS),
        StoreCheck("appservice state: completing moves positions and deletes delivered messages at once", complete),
        StoreCheck("appservice state: positions advance without a transaction only when unchanged", advance),
        StoreCheck("appservice state: failures are recorded and cleared by the acknowledgement", failures),
        StoreCheck("timeline events: every room in stream order, oldest first, timeline only", timeline),
        StoreCheck("to-device: every recipient's messages in a stream range", inboxRange),
    ]

    static let service = "bridge"
    static let zero = AppServicePositions(roomEvents: 0, toDevice: 0, deviceLists: 0)

    static func start(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        #expect(try await store.appServiceState(serviceID: service) == nil)
        let first = AppServicePositions(roomEvents: 5, toDevice: 6, deviceLists: 7)
        let state = try await store.startAppService(serviceID: service, at: first)
        #expect(state.positions == first && state.lastTransactionID == 0 && state.pending == nil)
        #expect(state.failures == 0 && state.retryAt == 0)
        let again = try await store.startAppService(serviceID: service, at: zero)
        #expect(again.positions == first, "a later start keeps where the service started")
        #expect(try await store.appServiceState(serviceID: service) == state)
        #expect(try await store.appServiceState(serviceID: "other") == nil)
    }

    static func pendingCAS(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        _ = try await store.startAppService(serviceID: service, at: zero)
        let to = AppServicePositions(roomEvents: 3, toDevice: 2, deviceLists: 1)
        let body = #"{"events":[{"b":"é"}]}"#
        let stored = try await store.storePendingAppServiceTransaction(
            serviceID: service, from: zero, body: body, positions: to, deliveredToDevice: [4, 9])
        #expect(stored == AppServiceTransaction(id: 1, body: body, positions: to, deliveredToDevice: [4, 9]))
        let state = try #require(try await store.appServiceState(serviceID: service))
        #expect(state.pending == stored && state.lastTransactionID == 1)
        #expect(state.positions == zero, "positions move only on acknowledgement")

        // Something is pending: a second transaction is refused, whatever it was built from.
        #expect(
            try await store.storePendingAppServiceTransaction(
                serviceID: service, from: zero, body: "{}", positions: to, deliveredToDevice: []) == nil)
        #expect(try await store.appServiceState(serviceID: service)?.pending?.body == body)

        // Built from positions that moved meanwhile: refused.
        #expect(try await store.completeAppServiceTransaction(serviceID: service, transactionID: 1))
        #expect(
            try await store.storePendingAppServiceTransaction(
                serviceID: service, from: zero, body: "{}", positions: to, deliveredToDevice: []) == nil)
        let next = try await store.storePendingAppServiceTransaction(
            serviceID: service, from: to, body: "{}", positions: to, deliveredToDevice: [])
        #expect(next?.id == 2, "IDs never repeat for a service")
        #expect(
            try await store.storePendingAppServiceTransaction(
                serviceID: "never-started", from: zero, body: "{}", positions: to, deliveredToDevice: []) == nil)
    }

    static func complete(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice, bob)
        try await login(store, alice, "A1")
        try await login(store, bob, "B1")
        try await ToDeviceChecks.send(store, 1, to: [(alice, "A1"), (bob, "B1")])
        try await ToDeviceChecks.send(store, 2, to: [(alice, "A1")])
        let inbox = try await store.toDeviceMessages(after: 0, upTo: .max, limit: 10)
        let aliceFirst = try #require(inbox.first { $0.userID == alice && $0.message.content["n"] == 1 })
        _ = try await store.startAppService(serviceID: service, at: zero)
        let to = AppServicePositions(roomEvents: 8, toDevice: aliceFirst.message.streamID, deviceLists: 3)
        let pending = try #require(
            try await store.storePendingAppServiceTransaction(
                serviceID: service, from: zero, body: "{}", positions: to,
                deliveredToDevice: [aliceFirst.message.streamID]))
        try await store.recordAppServiceFailure(serviceID: service, failures: 2, retryAt: 99_000)
        #expect(
            try await store.toDeviceMessages(after: 0, upTo: .max, limit: 10).count == 3,
            "nothing is deleted before the acknowledgement")

        #expect(!(try await store.completeAppServiceTransaction(serviceID: service, transactionID: pending.id + 1)))
        #expect(try await store.toDeviceMessages(after: 0, upTo: .max, limit: 10).count == 3)
        #expect(try await store.completeAppServiceTransaction(serviceID: service, transactionID: pending.id))
        let state = try #require(try await store.appServiceState(serviceID: service))
        #expect(state.positions == to && state.pending == nil && state.failures == 0 && state.retryAt == 0)
        #expect(state.lastTransactionID == pending.id)
        let left = try await store.toDeviceMessages(after: 0, upTo: .max, limit: 10)
        #expect(left.count == 2 && !left.contains(aliceFirst), "only the delivered message is gone")
        #expect(
            !(try await store.completeAppServiceTransaction(serviceID: service, transactionID: pending.id)),
            "a transaction is completed once")
        #expect(try await store.appServiceState(serviceID: service) == state)
    }

    static func advance(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        _ = try await store.startAppService(serviceID: service, at: zero)
        let to = AppServicePositions(roomEvents: 4, toDevice: 0, deviceLists: 2)
        #expect(try await store.advanceAppServicePositions(serviceID: service, from: zero, to: to))
        #expect(!(try await store.advanceAppServicePositions(serviceID: service, from: zero, to: to)))
        #expect(try await store.appServiceState(serviceID: service)?.positions == to)
        _ = try await store.storePendingAppServiceTransaction(
            serviceID: service, from: to, body: "{}", positions: to, deliveredToDevice: [])
        let further = AppServicePositions(roomEvents: 9, toDevice: 0, deviceLists: 2)
        #expect(
            !(try await store.advanceAppServicePositions(serviceID: service, from: to, to: further)),
            "not past a pending transaction")
        #expect(try await store.appServiceState(serviceID: service)?.positions == to)
    }

    static func failures(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        _ = try await store.startAppService(serviceID: service, at: zero)
        let pending = try #require(
            try await store.storePendingAppServiceTransaction(
                serviceID: service, from: zero, body: "{}", positions: zero, deliveredToDevice: []))
        try await store.recordAppServiceFailure(serviceID: service, failures: 3, retryAt: 12_345)
        let failed = try #require(try await store.appServiceState(serviceID: service))
        #expect(failed.failures == 3 && failed.retryAt == 12_345 && failed.pending == pending)
        #expect(try await store.completeAppServiceTransaction(serviceID: service, transactionID: pending.id))
        let cleared = try #require(try await store.appServiceState(serviceID: service))
        #expect(cleared.failures == 0 && cleared.retryAt == 0)
    }

    static func timeline(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await RoomGraphChecks.seed(store)
        let graph = RoomGraphChecks.self
        try await graph.write(
            store,
            [
                RoomEventWrite(
                    graph.event("out", type: "m.room.topic", stateKey: "", depth: 9, outlier: true), stateAfter: .none),
                RoomEventWrite(graph.event("rej", prev: ["$power"], depth: 4, rejected: "no"), stateAfter: .none),
                RoomEventWrite(
                    graph.event("soft", prev: ["$power"], depth: 4, softFailed: true),
                    stateAfter: graph.after("$power")),
                RoomEventWrite(graph.event("shown", prev: ["$power"], depth: 4), stateAfter: graph.after("$power")),
            ], from: ["$power"], to: ["$shown"])
        let other = "!elsewhere:example.com"
        try await store.createRoom(roomID: other, version: "10", creator: bob, now: 1)
        try await store.appendEvents([
            RoomEvent(
                eventID: "$there", roomID: other, type: "m.room.message", stateKey: nil, sender: bob,
                content: ["body": "hi"], originServerTS: 1)
        ])
        let all = try await store.timelineEvents(after: 0, upTo: .max, limit: 100)
        #expect(all.map(\.eventID) == ["$create", "$join", "$power", "$shown", "$there"])
        #expect(all.map(\.ordering) == all.map(\.ordering).sorted())
        #expect(try await store.timelineEvents(after: 0, upTo: .max, limit: 2).map(\.eventID) == ["$create", "$join"])
        let power = try #require(all.first { $0.eventID == "$power" }).ordering
        let shown = try #require(all.first { $0.eventID == "$shown" }).ordering
        #expect(try await store.timelineEvents(after: power, upTo: shown, limit: 100).map(\.eventID) == ["$shown"])
        #expect(try await store.currentRoomPosition() >= all.last?.ordering ?? .max)
    }

    static func inboxRange(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice, bob)
        try await login(store, alice, "A1")
        try await login(store, bob, "B1")
        try await ToDeviceChecks.send(store, 1, to: [(alice, "A1")])
        try await ToDeviceChecks.send(store, 2, to: [(bob, "B1")])
        try await ToDeviceChecks.send(store, 3, to: [(alice, "A1")])
        let head = try await store.currentToDevicePosition()
        let all = try await store.toDeviceMessages(after: 0, upTo: head, limit: 10)
        #expect(all.map { $0.message.content["n"] } == [1, 2, 3])
        #expect(all.map(\.userID) == [alice, bob, alice] && all.map(\.deviceID) == ["A1", "B1", "A1"])
        #expect(all.last?.message.streamID == head)
        let first = all[0].message.streamID
        #expect(try await store.toDeviceMessages(after: first, upTo: head, limit: 1).map(\.userID) == [bob])
        #expect(try await store.toDeviceMessages(after: head, upTo: .max, limit: 10).isEmpty)
    }
}
