import KeyportStore
import MatrixModel
import Testing

/// `RoomStore` contracts for the room graph: updates, flags, extremities, state after each event,
/// auth chains.
enum RoomGraphChecks {
    static let all: [StoreCheck] = [
        StoreCheck("room graph: events round trip with their PDU, DAG fields and flags", roundTrip),
        StoreCheck("room graph: outliers, rejected and soft-failed events stay out of the timeline", timelineFlags),
        StoreCheck("room graph: an update is refused when the extremities moved, and writes nothing", extremitiesCAS),
        StoreCheck("room graph: the state after each event, across deltas, removals and full copies", stateAfter),
        StoreCheck("room graph: a state base without recorded state is refused", unknownBase),
        StoreCheck("room graph: auth chains follow auth events and stop at unknown events", authChains),
        StoreCheck("room graph: current state changes set memberships and record them", currentState),
        StoreCheck("room graph: an outlier written again as a timeline event gets a new position", deOutlier),
        StoreCheck("room graph: a stored event is not written twice", idempotentEvents),
        StoreCheck("room graph: only a legacy room is replaced", replaceLegacy),
        StoreCheck("room graph: events are queued for other servers in the update's own transaction", queuedWithUpdate),
    ]

    static let room = "!graph:example.com"

    static func event(
        _ name: String, type: String = "m.room.message", stateKey: String? = nil, sender: String = alice,
        content: JSONObject? = nil, prev: [String] = [], auth: [String] = [], depth: Int64 = 1,
        outlier: Bool = false, rejected: String? = nil, softFailed: Bool = false
    ) -> RoomEvent {
        let body = content ?? ["body": .string(name)]
        var pdu: JSONObject = [
            "type": .string(type), "sender": .string(sender), "content": .object(body), "depth": .int(depth),
            "prev_events": .array(prev.map { .string($0) }), "auth_events": .array(auth.map { .string($0) }),
            "hashes": ["sha256": .string("h-\(name)")], "signatures": ["example.com": ["ed25519:a": "s"]],
        ]
        if let stateKey { pdu["state_key"] = .string(stateKey) }
        return RoomEvent(
            eventID: "$\(name)", roomID: room, type: type, stateKey: stateKey, sender: sender, content: body,
            originServerTS: 1_700_000_000_000 + depth, pdu: pdu, depth: depth, prevEvents: prev, authEvents: auth,
            outlier: outlier, rejectedReason: rejected, softFailed: softFailed)
    }

    static func key(_ type: String, _ stateKey: String = "") -> RoomStateKey { RoomStateKey(type, stateKey) }

    /// Writes events as one update from `expected` to `extremities`.
    @discardableResult
    static func write(
        _ store: any KeyportStorage, _ writes: [RoomEventWrite], from expected: Set<String>,
        to extremities: Set<String>,
        current: [RoomStateKey: String?] = [:]
    ) async throws -> [RoomEvent] {
        try await store.applyRoomUpdate(
            RoomUpdate(
                roomID: room, events: writes, expectedExtremities: expected, extremities: extremities,
                currentState: current))
    }

    static func after(_ base: String?, _ changes: [RoomStateKey: String?] = [:]) -> RoomStateAfter {
        .changed(from: base.map { .afterEvent($0) } ?? .empty, changes: changes)
    }

    /// create → member → power levels, each in the state after the one before.
    static func seed(_ store: any KeyportStorage) async throws {
        try await store.createRoom(roomID: room, version: "12", creator: alice, now: 1)
        let create = event("create", type: "m.room.create", stateKey: "", depth: 1)
        let join = event(
            "join", type: "m.room.member", stateKey: alice, content: ["membership": "join"], prev: ["$create"],
            auth: ["$create"], depth: 2)
        let power = event(
            "power", type: "m.room.power_levels", stateKey: "", prev: ["$join"], auth: ["$create", "$join"], depth: 3)
        try await write(
            store,
            [
                RoomEventWrite(create, stateAfter: after(nil, [key("m.room.create"): "$create"])),
                RoomEventWrite(join, stateAfter: after("$create", [key("m.room.member", alice): "$join"])),
                RoomEventWrite(power, stateAfter: after("$join", [key("m.room.power_levels"): "$power"])),
            ], from: [], to: ["$power"],
            current: [
                key("m.room.create"): "$create", key("m.room.member", alice): "$join",
                key("m.room.power_levels"): "$power",
            ])
    }

    static func roundTrip(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await seed(store)
        #expect(try await store.roomVersion(roomID: room) == "12")
        #expect(try await store.roomVersion(roomID: "!unknown:example.com") == nil)
        let message = event(
            "m1", content: ["body": "hi", "n": 3, "nested": ["a": [1, 2]]], prev: ["$power"],
            auth: ["$create", "$join", "$power"], depth: 4)
        let stored = try await write(
            store, [RoomEventWrite(message, stateAfter: after("$power"))], from: ["$power"], to: ["$m1"])
        #expect(stored.count == 1)
        let read = try await store.events(["$m1", "$create", "$nope"])
        #expect(Set(read.keys) == ["$m1", "$create"])
        let m1 = try #require(read["$m1"])
        #expect(m1.pdu == message.pdu, "the PDU comes back as written")
        #expect(m1.content == message.content)
        #expect(m1.depth == 4)
        #expect(m1.prevEvents == ["$power"])
        #expect(m1.authEvents == ["$create", "$join", "$power"])
        #expect(!m1.outlier && m1.rejectedReason == nil && !m1.softFailed)
        #expect(m1.ordering == stored[0].ordering)
        #expect(try await store.forwardExtremities(roomID: room) == ["$m1"])
        #expect(try await store.events([]) == [:])
    }

    static func timelineFlags(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await seed(store)
        let outlier = event("out", type: "m.room.topic", stateKey: "", depth: 9, outlier: true)
        let rejected = event("rej", prev: ["$power"], depth: 4, rejected: "not allowed")
        let soft = event("soft", prev: ["$power"], depth: 4, softFailed: true)
        let shown = event("shown", prev: ["$power"], depth: 4)
        try await write(
            store,
            [
                RoomEventWrite(outlier, stateAfter: .none), RoomEventWrite(rejected, stateAfter: .none),
                RoomEventWrite(soft, stateAfter: after("$power")), RoomEventWrite(shown, stateAfter: after("$power")),
            ], from: ["$power"], to: ["$shown"])
        let timeline = try await store.roomEvents(roomID: room, after: 0, upTo: .max, limit: 100).map(\.eventID)
        #expect(timeline == ["$create", "$join", "$power", "$shown"])
        let backwards = try await store.roomEventsBackwards(roomID: room, before: .max, limit: 100).map(\.eventID)
        #expect(backwards == ["$shown", "$power", "$join", "$create"])
        let all = try await store.events(["$out", "$rej", "$soft"])
        #expect(all["$out"]?.outlier == true)
        #expect(all["$rej"]?.rejectedReason == "not allowed")
        #expect(all["$soft"]?.softFailed == true)
        #expect(try await store.rejectedEvents(among: ["$out", "$rej", "$soft", "$shown", "$x"]) == ["$rej"])
        #expect(try await store.stateAfter(eventID: "$out") == nil, "no state is recorded for an outlier")
        #expect(try await store.stateAfter(eventID: "$rej") == nil)
    }

    static func extremitiesCAS(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await seed(store)
        let position = try await store.currentRoomPosition()
        await #expect {
            try await write(
                store, [RoomEventWrite(event("late", prev: ["$join"], depth: 3), stateAfter: after("$join"))],
                from: ["$join"], to: ["$late"])
        } throws: { ($0 as? StoreError)?.isConflict == true }
        #expect(try await store.events(["$late"]).isEmpty, "a refused update writes nothing")
        #expect(try await store.currentRoomPosition() == position)
        #expect(try await store.forwardExtremities(roomID: room) == ["$power"])
        // A fork: two extremities, then an event merging them.
        try await write(
            store, [RoomEventWrite(event("a", prev: ["$power"], depth: 4), stateAfter: after("$power"))],
            from: ["$power"], to: ["$a"])
        try await write(
            store, [RoomEventWrite(event("b", prev: ["$power"], depth: 4), stateAfter: after("$power"))],
            from: ["$a"], to: ["$a", "$b"])
        #expect(try await store.forwardExtremities(roomID: room) == ["$a", "$b"])
        try await write(
            store, [RoomEventWrite(event("merge", prev: ["$a", "$b"], depth: 5), stateAfter: after("$a"))],
            from: ["$b", "$a"], to: ["$merge"])
        #expect(try await store.forwardExtremities(roomID: room) == ["$merge"])
    }

    static func stateAfter(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await seed(store)
        #expect(try await store.stateAfter(eventID: "$create") == [key("m.room.create"): "$create"])
        #expect(
            try await store.stateAfter(eventID: "$power")
                == [
                    key("m.room.create"): "$create", key("m.room.member", alice): "$join",
                    key("m.room.power_levels"): "$power",
                ])
        // A message shares the state before it; a topic replaces and then a removal drops a key.
        try await write(
            store,
            [
                RoomEventWrite(event("msg", prev: ["$power"], depth: 4), stateAfter: after("$power")),
                RoomEventWrite(
                    event("topic", type: "m.room.topic", stateKey: "", prev: ["$msg"], depth: 5),
                    stateAfter: after("$msg", [key("m.room.topic"): "$topic"])),
                RoomEventWrite(
                    event("resolved", prev: ["$topic"], depth: 6),
                    stateAfter: after("$topic", [key("m.room.topic"): String?.none, key("m.room.name"): "$name"])),
            ], from: ["$power"], to: ["$resolved"])
        #expect(try await store.stateAfter(eventID: "$msg") == store.stateAfter(eventID: "$power"))
        #expect(try await store.stateAfter(eventID: "$topic")?[key("m.room.topic")] == "$topic")
        let resolved = try #require(try await store.stateAfter(eventID: "$resolved"))
        #expect(resolved[key("m.room.topic")] == nil)
        #expect(resolved[key("m.room.name")] == "$name")
        #expect(resolved.count == 4)
        #expect(try await store.stateAfter(eventID: "$unknown") == nil)

        // A chain longer than the layout keeps as deltas still reads exactly.
        var previous = "$resolved"
        var expected = resolved
        for n in 0..<(StateGroupLayout.maxChainLength + 25) {
            let name = "s\(n)"
            let stateKey = "k\(n % 7)"
            expected[key("x.state", stateKey)] = "$\(name)"
            try await write(
                store,
                [
                    RoomEventWrite(
                        event(name, type: "x.state", stateKey: stateKey, prev: [previous], depth: Int64(7 + n)),
                        stateAfter: after(previous, [key("x.state", stateKey): "$\(name)"]))
                ], from: [previous], to: ["$\(name)"])
            previous = "$\(name)"
        }
        #expect(try await store.stateAfter(eventID: previous) == expected)
        #expect(try await store.stateAfter(eventID: "$s3")?[key("x.state", "k3")] == "$s3")
        #expect(try await store.stateAfter(eventID: "$s3")?[key("x.state", "k4")] == nil)
    }

    static func unknownBase(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await seed(store)
        try await write(
            store, [RoomEventWrite(event("out", depth: 2, outlier: true), stateAfter: .none)], from: ["$power"],
            to: ["$power"])
        for base in ["$out", "$missing"] {
            await #expect(throws: StoreError.notFound, "base \(base)") {
                try await write(
                    store, [RoomEventWrite(event("x\(base.dropFirst())", depth: 4), stateAfter: after(base))],
                    from: ["$power"], to: ["$x"])
            }
        }
        #expect(try await store.forwardExtremities(roomID: room) == ["$power"])
    }

    static func authChains(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await seed(store)
        try await write(
            store,
            [
                RoomEventWrite(
                    event("m", prev: ["$power"], auth: ["$power", "$join", "$gone"], depth: 4),
                    stateAfter: after("$power"))
            ], from: ["$power"], to: ["$m"])
        #expect(try await store.authChain(of: ["$m"]) == ["$m", "$power", "$join", "$create"])
        #expect(try await store.authChain(of: ["$join"]) == ["$join", "$create"])
        #expect(try await store.authChain(of: ["$join", "$power"]) == ["$join", "$create", "$power"])
        #expect(try await store.authChain(of: ["$gone"]) == [], "unknown events are not in any chain")
        #expect(try await store.authChain(of: []) == [])
    }

    static func currentState(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await seed(store)
        #expect(try await store.joinedMembers(roomID: room) == [alice])
        #expect(try await store.stateEvent(roomID: room, type: "m.room.member", stateKey: alice)?.eventID == "$join")
        let before = try await store.currentDeviceListPosition()
        let bobJoin = event(
            "bob", type: "m.room.member", stateKey: bob, sender: bob, content: ["membership": "join"], prev: ["$power"],
            depth: 4)
        try await write(
            store, [RoomEventWrite(bobJoin, stateAfter: after("$power", [key("m.room.member", bob): "$bob"]))],
            from: ["$power"], to: ["$bob"], current: [key("m.room.member", bob): "$bob"])
        #expect(try await store.joinedMembers(roomID: room) == [alice, bob])
        let changes = try await store.deviceListChanges(from: before, to: .max)
        #expect(changes.map(\.userID) == [bob])
        #expect(changes.first?.kind == .membership)
        // State resolution may name an older stored event, or drop a key.
        try await write(
            store, [RoomEventWrite(event("m2", prev: ["$bob"], depth: 5), stateAfter: after("$bob"))], from: ["$bob"],
            to: ["$m2"], current: [key("m.room.member", bob): String?.none, key("m.room.power_levels"): "$create"])
        #expect(try await store.joinedMembers(roomID: room) == [alice])
        #expect(try await store.stateEvent(roomID: room, type: "m.room.member", stateKey: bob) == nil)
        #expect(
            try await store.stateEvent(roomID: room, type: "m.room.power_levels", stateKey: "")?.eventID == "$create")
        #expect(
            try await store.memberships(userID: bob).map(\.membership) == ["leave"], "a dropped member key leaves")
    }

    static func deOutlier(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await seed(store)
        let outlier = event("late", prev: ["$power"], depth: 4, outlier: true)
        let first = try await write(
            store, [RoomEventWrite(outlier, stateAfter: .none)], from: ["$power"], to: ["$power"])
        var timelineCopy = outlier
        timelineCopy.outlier = false
        let second = try await write(
            store, [RoomEventWrite(timelineCopy, stateAfter: after("$power"))], from: ["$power"], to: ["$late"])
        #expect(second[0].ordering > first[0].ordering)
        #expect(second[0].outlier == false)
        #expect(try await store.roomEvents(roomID: room, after: 0, upTo: .max, limit: 10).last?.eventID == "$late")
        #expect(try await store.stateAfter(eventID: "$late") == store.stateAfter(eventID: "$power"))
    }

    static func idempotentEvents(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await seed(store)
        let position = try await store.currentRoomPosition()
        var again = event("create", type: "m.room.create", stateKey: "", depth: 1)
        again.content = ["changed": true]
        let stored = try await write(
            store, [RoomEventWrite(again, stateAfter: after(nil, [key("m.room.create"): "$create"]))], from: ["$power"],
            to: ["$power"])
        #expect(stored[0].content != again.content, "the stored copy is returned, not the new one")
        #expect(try await store.currentRoomPosition() == position)
    }

    static func replaceLegacy(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await seed(store)
        #expect(try await store.legacyRooms() == [], "rooms created now have a version")
        // Only legacy rooms are replaced (engine tests write legacy rows and check the rebuild).
        let create = event("new-create", type: "m.room.create", stateKey: "", depth: 1)
        let stored = try await store.replaceLegacyRoom(
            RoomUpdate(
                roomID: room,
                events: [RoomEventWrite(create, stateAfter: after(nil, [key("m.room.create"): "$new-create"]))],
                expectedExtremities: [], extremities: ["$new-create"],
                currentState: [key("m.room.create"): "$new-create", key("m.room.member", alice): String?.none]),
            version: "11")
        #expect(stored == [])
        #expect(try await store.roomVersion(roomID: room) == "12")
        #expect(try await store.events(["$new-create"]).isEmpty)
        #expect(try await store.forwardExtremities(roomID: room) == ["$power"])
        #expect(try await store.currentState(roomID: room).count == 3)
    }

    static func queuedWithUpdate(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await seed(store)
        let message = event("sent", prev: ["$power"], depth: 4)
        _ = try await store.applyRoomUpdate(
            RoomUpdate(
                roomID: room, events: [RoomEventWrite(message, stateAfter: after("$power"))],
                expectedExtremities: ["$power"], extremities: ["$sent"], currentState: [:],
                sendTo: ["a.test", "b.test"], queuedAt: 5))
        for destination in ["a.test", "b.test"] {
            let queued = try await store.queuedPDUs(destination: destination, limit: 10)
            #expect(queued.map(\.eventID) == ["$sent"])
            #expect(queued.first?.pdu == message.pdu)
        }
        // A refused update queues nothing.
        await #expect(throws: StoreError.self) {
            _ = try await store.applyRoomUpdate(
                RoomUpdate(
                    roomID: room,
                    events: [RoomEventWrite(event("late", prev: ["$power"], depth: 4), stateAfter: after("$power"))],
                    expectedExtremities: ["$power"], extremities: ["$late"], currentState: [:], sendTo: ["a.test"],
                    queuedAt: 6))
        }
        #expect(try await store.queuedPDUs(destination: "a.test", limit: 10).map(\.eventID) == ["$sent"])
    }
}
